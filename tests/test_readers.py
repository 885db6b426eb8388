"""Readers on real and generated files: formats, counts by reason, strict mode, bad paths."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import numpy as np
import pytest

from recommender.errors import InputError, MalformedRowError
from recommender.readers import read_hetrec2011, read_lastfm360k, read_plays

SHA = ["a" * 40, "b" * 40, "c" * 40]
MBID = "b10bbbfc-cf9e-42e0-be17-e2c3e1d2600d"

CLEAN_360K = [
    f"{SHA[0]}\t{MBID}\tthe beatles\t120",
    f"{SHA[0]}\t\tradiohead\t30",
    f"{SHA[1]}\t{MBID}\tthe beatles\t7",
    f"{SHA[1]}\t\tsigur rós\t12",
    f"{SHA[2]}\t\tradiohead\t1",
]
PROFILES = [
    f"{SHA[0]}\tf\t22\tGermany\tFeb 1, 2007",
    f"{SHA[1]}\t\t\tUnited States\tDec 4, 2007",
    f"{SHA[2]}\tm\t-1337\tUnited States\tSep 1, 2006",
]


def names_of(table) -> dict[str, int]:
    """Rows per artist name."""
    counts = np.bincount(table.artist_codes, minlength=table.n_artists)
    return {str(name): int(count) for name, count in zip(table.artist_names, counts, strict=True)}


def make_archive(path: Path, files: dict[str, list[str]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, lines in files.items():
            data = ("\n".join(lines) + "\n").encode()
            info = tarfile.TarInfo(f"lastfm-dataset-360K/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_360k_plays_file_alone_has_rows_and_no_countries(write_text):
    table = read_lastfm360k(write_text("usersha1-artmbid-artname-plays.tsv", CLEAN_360K))

    assert (table.n_rows, table.n_users, table.n_artists) == (5, 3, 3)
    assert names_of(table) == {"the beatles": 2, "radiohead": 2, "sigur rós": 1}
    assert table.plays.tolist() == [120, 30, 7, 12, 1]
    assert table.user_countries is None
    assert table.dropped.total == 0


def test_360k_folder_joins_countries_from_profiles(write_text, tmp_path):
    write_text("usersha1-artmbid-artname-plays.tsv", CLEAN_360K)
    write_text("usersha1-profile.tsv", PROFILES)

    table = read_lastfm360k(tmp_path)

    countries = dict(zip(table.user_ids, table.user_countries, strict=True))
    assert countries == {SHA[0]: "Germany", SHA[1]: "United States", SHA[2]: "United States"}


def test_360k_archive_is_read_without_unpacking(tmp_path):
    archive = make_archive(
        tmp_path / "lastfm-dataset-360K.tar.gz",
        {"usersha1-artmbid-artname-plays.tsv": CLEAN_360K, "usersha1-profile.tsv": PROFILES},
    )
    seen: list[int] = []

    table = read_lastfm360k(archive, progress=seen.append)

    assert table.n_rows == 5
    assert table.user_countries is not None
    assert sum(seen) == len(("\n".join(CLEAN_360K) + "\n").encode())
    assert not (tmp_path / "lastfm-dataset-360K").exists()


def test_360k_profiles_join_real_user_ids(profile_sample, tmp_path):
    users = [line.split("\t")[0] for line in profile_sample.read_text().splitlines()[:50]]
    rows = [f"{user}\t\tartist {i % 7}\t{i + 1}" for i, user in enumerate(users)]
    (tmp_path / "usersha1-artmbid-artname-plays.tsv").write_text("\n".join(rows) + "\n")
    (tmp_path / "usersha1-profile.tsv").write_bytes(profile_sample.read_bytes())

    table = read_lastfm360k(tmp_path)

    assert table.n_users == 50
    assert table.user_countries is not None
    assert all(country is not None for country in table.user_countries)


def test_360k_mbids_pick_the_most_frequent_id_per_name(write_text):
    other = "00000000-0000-0000-0000-000000000001"
    rows = [*CLEAN_360K, f"{SHA[2]}\t{other}\tthe beatles\t3"]
    table = read_lastfm360k(write_text("plays.tsv", rows), with_mbids=True)

    mbids = dict(zip(table.artist_names, table.artist_mbids, strict=True))
    assert mbids == {"the beatles": MBID, "radiohead": "", "sigur rós": ""}


MALFORMED = [
    f"{SHA[0]}\t\tgood\t10",
    "just one field",
    f"{SHA[0]}\t\tnot a number\tten",
    f"{SHA[0]}\t\tnegative\t-4",
    f"{SHA[0]}\t\thuge\t99999999999",
    f"{SHA[0]}\t\tzero\t0",
    f"{SHA[0]}\t\tfraction\t2.5",
    f"{SHA[1]}\t\t\t5",
    "",
    f"{SHA[1]}\t\tgood\t3\textra",
    f"{SHA[1]}\t\tgood\t3",
]


def test_malformed_rows_are_counted_by_reason(write_text):
    table = read_lastfm360k(write_text("plays.tsv", MALFORMED))

    assert table.rows_read == len(MALFORMED)
    assert table.n_rows == 2
    assert table.dropped.as_dict() == {
        "wrong number of fields": 2,
        "empty line": 1,
        "missing artist name": 1,
        "negative plays": 1,
        "plays above 1,000,000,000": 1,
        "plays missing or not a number": 1,
        "plays not a whole number": 1,
        "zero plays": 1,
    }


@pytest.mark.parametrize(
    ("lines", "line", "reason"),
    [
        pytest.param(MALFORMED, 2, "expected 4 fields", id="wrong-field-count"),
        pytest.param(MALFORMED[2:], 1, "plays missing or not a number", id="text-plays"),
        pytest.param([MALFORMED[0], MALFORMED[3]], 2, "negative plays", id="negative"),
        pytest.param([MALFORMED[0], MALFORMED[7]], 2, "missing artist name", id="empty-name"),
        pytest.param(
            [MALFORMED[0], MALFORMED[0], "", MALFORMED[1]], 3, "empty line", id="empty-line"
        ),
    ],
)
def test_strict_names_file_and_first_bad_line(write_text, lines, line, reason):
    path = write_text("plays.tsv", lines)

    with pytest.raises(MalformedRowError, match=reason) as caught:
        read_lastfm360k(path, strict=True)

    assert caught.value.line == line
    assert f"{path}, line {line}" in str(caught.value)
    assert "without --strict" in str(caught.value)


def test_strict_counts_skipped_lines_before_a_later_bad_value(write_text):
    path = write_text("plays.tsv", [MALFORMED[0], MALFORMED[1], MALFORMED[0], MALFORMED[3]])
    with pytest.raises(MalformedRowError) as caught:
        read_lastfm360k(path, strict=True)
    assert caught.value.line == 2  # the wrong-field row comes before the negative plays


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        pytest.param(lambda p: p / "missing.tsv", "no such file or folder", id="missing"),
        pytest.param(lambda p: p, "no usersha1-artmbid-artname-plays.tsv", id="empty-folder"),
        pytest.param(
            lambda p: make_archive(p / "x.tar.gz", {"README.txt": ["hello"]}),
            "the archive has no usersha1-artmbid-artname-plays.tsv",
            id="archive-without-plays",
        ),
        pytest.param(
            lambda p: (p / "broken.tar.gz").write_bytes(b"not gzip") and p / "broken.tar.gz",
            "not a readable tar archive",
            id="broken-archive",
        ),
        pytest.param(
            lambda p: (p / "empty.tsv").write_bytes(b"") or p / "empty.tsv",
            "the file is empty",
            id="empty-file",
        ),
    ],
)
def test_360k_bad_paths_say_what_was_expected(tmp_path, setup, message):
    with pytest.raises(InputError, match=message) as caught:
        read_lastfm360k(setup(tmp_path))
    assert "Expected" in str(caught.value)


def test_hetrec_real_files(hetrec_dir):
    table = read_hetrec2011(hetrec_dir)

    assert (table.rows_read, table.n_rows) == (92_834, 92_834)
    assert (table.n_users, table.n_artists) == (1_892, 17_632)
    assert "Arctic Monkeys" in set(table.artist_names)
    assert table.plays.min() >= 1
    assert table.dropped.total == 0


def test_hetrec_counts_ids_missing_from_artists_file(tmp_path):
    (tmp_path / "user_artists.dat").write_bytes(
        b"userID\tartistID\tweight\r\n2\t51\t13883\r\n2\t52\t11690\r\n3\t999\t5"
    )
    (tmp_path / "artists.dat").write_text(
        "id\tname\turl\tpictureURL\n51\tDuran Duran\tu\tp\n52\tMorcheeba\tu\tp\n"
    )

    table = read_hetrec2011(tmp_path)

    assert sorted(table.artist_names) == ["Duran Duran", "Morcheeba"]
    assert table.dropped.as_dict() == {"artist id not in artists.dat": 1}


def test_hetrec_folder_without_files(tmp_path):
    with pytest.raises(InputError, match="no user_artists.dat here"):
        read_hetrec2011(tmp_path)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(
            'user,artist,plays\nu1,"Crosby, Stills, Nash & Young",3\nu2,Björk,4\n',
            {"Crosby, Stills, Nash & Young": 1, "Björk": 1},
            id="csv-quoted",
        ),
        pytest.param(
            "username;artist_name;playcount;extra\nu1;Air;3;x\nu1;Björk;1;y\n",
            {"Air": 1, "Björk": 1},
            id="semicolon-aliases-extra-column",
        ),
        pytest.param(
            'user\tartist\tplays\nu1\t"Weird Al" Yankovic\t3\n',
            {'"Weird Al" Yankovic': 1},
            id="tsv-quotes-are-text",
        ),
    ],
)
def test_plays_file_formats(write_text, content, expected):
    table = read_plays(write_text("plays.txt", content))
    assert names_of(table) == expected


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param("user,song,plays\nu1,x,3\n", "no artist column", id="missing-column"),
        pytest.param("just a header\nu1\n", "cannot tell the delimiter", id="no-delimiter"),
        pytest.param("", "empty", id="empty"),
        pytest.param("user,artist,plays\n", "no data rows", id="header-only"),
    ],
)
def test_plays_file_errors(write_text, content, message):
    with pytest.raises(InputError, match=message):
        read_plays(write_text("plays.csv", content))


def test_plays_given_delimiter_overrides_detection(write_text):
    path = write_text("plays.txt", "user|artist|plays\nu1|A,B|3\nu2|C|3,0\n")
    table = read_plays(path, delimiter="|")
    assert names_of(table) == {"A,B": 1}
    assert table.dropped.as_dict() == {"plays missing or not a number": 1}


def test_plays_under_another_header_name_are_read_and_checked(write_text):
    path = write_text("plays.csv", "username;artist_name;playcount\nu1;Air;3\nu1;Björk;-1\n")
    table = read_plays(path)
    assert table.plays.tolist() == [3]
    assert table.dropped.as_dict() == {"negative plays": 1}


@pytest.mark.parametrize(
    "lines",
    [
        pytest.param(CLEAN_360K, id="clean"),
        pytest.param(MALFORMED, id="malformed"),
        pytest.param([*CLEAN_360K, f"{SHA[2]}\t\tx\t9999999999"], id="huge-plays"),
    ],
)
@pytest.mark.parametrize("mode", ["one-batch", "many-batches", "ranges"])
def test_streaming_read_equals_the_whole_table_read(write_text, monkeypatch, lines, mode):
    from recommender.readers import _delimited, _stream
    from recommender.readers._delimited import DelimitedSpec, file_opener
    from recommender.readers._stream import _coded_from_table, read_coded
    from recommender.table import DropCounts

    if mode != "one-batch":  # a batch per block of 200 bytes, dictionaries merged 2 at a time
        monkeypatch.setattr(_delimited, "BLOCK_SIZE", 200)
        monkeypatch.setattr(_stream, "_GROUP_BATCHES", 2)
    if mode == "ranges":  # three byte ranges parsed at once, whatever the file's size
        monkeypatch.setattr(_stream, "PARALLEL_MIN_BYTES", 0)
        monkeypatch.setattr(_stream, "_cores", lambda: 3)
        ranges = []
        parse_range = _stream._stream_range
        monkeypatch.setattr(
            _stream, "_stream_range", lambda *a: ranges.append(a[1]) or parse_range(*a)
        )
    path = write_text("plays.tsv", lines * 4)
    spec = DelimitedSpec(
        columns={"user": "dict", "mbid": "dict", "artist": "dict", "plays": "plays"},
        column_names=["user", "mbid", "artist", "plays"],
        required={"user": "missing user", "artist": "missing artist name"},
    )
    streamed_drops, table_drops = DropCounts(), DropCounts()
    streamed = read_coded(file_opener(path), str(path), spec, streamed_drops)
    whole = _coded_from_table(file_opener(path), str(path), spec, table_drops, strict=False)

    assert streamed.rows_read == whole.rows_read
    assert streamed_drops.as_dict() == table_drops.as_dict()
    np.testing.assert_array_equal(streamed.plays, whole.plays)
    for name in ["user", "mbid", "artist"]:
        got = [streamed.values[name][c] if c >= 0 else None for c in streamed.codes[name]]
        want = [whole.values[name][c] if c >= 0 else None for c in whole.codes[name]]
        assert got == want
        assert streamed.values[name].tolist() == whole.values[name].tolist()
    if mode == "ranges":
        expected = _stream._line_ranges(path.read_bytes(), 3)
        assert len(expected) == 3
        if lines is MALFORMED:
            # Plays that are not all integers abort the ranges' parse (the file is then read
            # as text): a range whose thread had not started yet is cancelled, never parsed.
            assert ranges
            assert set(ranges) <= set(expected)
        else:
            assert sorted(ranges) == expected


def test_a_file_that_cannot_be_mapped_is_read_as_one_stream(write_text, monkeypatch):
    import mmap

    from recommender.readers import _stream
    from recommender.readers._delimited import DelimitedSpec, file_opener
    from recommender.readers._stream import read_coded
    from recommender.table import DropCounts

    def refuse(*_args, **_kwargs):
        raise OSError(19, "No such device")

    monkeypatch.setattr(_stream, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(_stream, "_cores", lambda: 2)
    monkeypatch.setattr(mmap, "mmap", refuse)
    path = write_text("plays.tsv", CLEAN_360K)
    spec = DelimitedSpec(
        columns={"user": "dict", "artist": "dict", "plays": "plays"},
        column_names=["user", "mbid", "artist", "plays"],
    )
    coded = read_coded(file_opener(path), str(path), spec, DropCounts())
    assert coded.rows_read == len(CLEAN_360K)


@pytest.mark.parametrize(
    ("text", "parts", "expected"),
    [
        pytest.param(b"a\nbb\nccc\ndddd\n", 2, [(0, 9), (9, 14)], id="cut-after-a-line-end"),
        pytest.param(b"a\nbb\nccc\ndddd", 2, [(0, 9), (9, 13)], id="no-final-line-end"),
        pytest.param(b"one line only\n", 3, [(0, 14)], id="fewer-lines-than-parts"),
        pytest.param(b"a\nb\nc\nd\n", 4, [(0, 2), (2, 4), (4, 6), (6, 8)], id="a-line-each"),
    ],
)
def test_byte_ranges_cover_the_file_and_end_at_line_ends(tmp_path, text, parts, expected):
    import mmap

    from recommender.readers._stream import _line_ranges

    path = tmp_path / "rows.tsv"
    path.write_bytes(text)
    with path.open("rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        assert _line_ranges(mapped, parts) == expected

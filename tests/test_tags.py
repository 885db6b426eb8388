"""Tags: reading HetRec's tag files, top tags, TF-IDF tag neighbours as a fallback."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.aliases import merge_spellings
from recommender.neighbors import NeighborTable, compute_neighbors
from recommender.readers import read_hetrec2011
from recommender.tags import ArtistTags, with_tag_fallback


def tags_of(rows: list[dict[str, int]]) -> ArtistTags:
    """Tag counts from ``{tag: users}`` per artist."""
    names = sorted({t for row in rows for t in row})
    counts = sp.lil_matrix((len(rows), len(names)), dtype=np.int32)
    for artist, row in enumerate(rows):
        for tag, users in row.items():
            counts[artist, names.index(tag)] = users
    return ArtistTags(counts.tocsr(), np.array(names, dtype=object))


def test_top_tags_most_users_first_ties_by_text():
    tags = tags_of([{"rock": 3, "indie": 5, "british": 3, "live": 1}, {}])
    assert tags.top(0, 3) == ["indie", "british", "rock"]
    assert tags.top(1) == []
    assert tags.n_tagged == 1


def test_tfidf_ignores_tags_everyone_has():
    tags = tags_of([{"music": 1, "metal": 2}, {"music": 4, "jazz": 1}, {"music": 1, "metal": 1}])
    vectors = tags.vectors().toarray()
    assert vectors[:, 2].tolist() == [0, 0, 0]  # "music" (jazz, metal, music): on every artist
    np.testing.assert_allclose(vectors @ vectors.T, [[1, 0, 1], [0, 1, 0], [1, 0, 1]])


def test_fold_sums_the_rows_of_folded_artists():
    tags = tags_of([{"rock": 1}, {"rock": 2, "pop": 1}, {"jazz": 1}])
    folded = tags.fold(np.array([0, 0, 1]), 2)
    assert folded.counts.toarray().tolist() == [[0, 1, 3], [1, 0, 0]]  # jazz, pop, rock
    assert folded.top(0) == ["rock", "pop"]
    assert folded.top(1) == ["jazz"]


def test_fallback_replaces_only_thin_artists_with_tags():
    # Artists 0-2 are well listened; 3 has one listener and tags like 0's; 4 has one listener
    # and no tags (keeps its listener neighbours); 5 has tags like 1's and no co-listener.
    ids = np.array([[1, 2], [0, 2], [0, 1], [0, -1], [1, -1], [-1, -1]], dtype=np.int32)
    distances = np.where(ids >= 0, 0.5, np.inf).astype(np.float32)
    table = NeighborTable(ids, distances, np.where(ids >= 0, 1, 0).astype(np.int32))
    listeners = np.array([50, 40, 30, 1, 1, 20])
    tags = tags_of(
        [
            {"metal": 5, "german": 2},
            {"jazz": 4},
            {"pop": 3},
            {"metal": 1, "german": 1},
            {},
            {"jazz": 1, "pop": 1},
        ]
    )
    fallback = with_tag_fallback(table, tags, listeners)

    assert [fallback.evidence_of(a) for a in range(6)] == ["listeners"] * 3 + [
        "tags",
        "listeners",
        "tags",
    ]
    assert fallback.row(3, 2)[0].tolist() == [0]  # the only artist sharing its tags
    assert fallback.shared_row(3, 2).tolist() == [2]  # two tags in common
    assert set(fallback.row(5, 2)[0].tolist()) == {1, 2}
    np.testing.assert_array_equal(fallback.ids[:3], ids[:3])
    np.testing.assert_array_equal(fallback.ids[4], ids[4])


@pytest.fixture(scope="module")
def hetrec(hetrec_dir):
    return read_hetrec2011(hetrec_dir)


def test_tags_parsed_from_the_real_files(hetrec):
    tags = hetrec.artist_tags
    assert tags is not None
    assert tags.counts.shape[0] == hetrec.n_artists == 17_632
    assert tags.n_tagged > 12_000
    names = list(hetrec.artist_names)
    assert tags.top(names.index("Arctic Monkeys"), 2) == ["indie rock", "indie"]
    assert tags.top(names.index("Rammstein"), 2) == ["metal", "industrial metal"]
    # tags.dat is ISO-8859-1: accented tags arrive as text, not mojibake.
    assert {"tropicália", "rock français", "español"} <= set(tags.names)
    assert not any("Ã" in str(t) for t in tags.names)


def test_real_tags_fold_with_spellings(hetrec):
    merged = merge_spellings(hetrec)
    names = list(merged.table.artist_names)
    scorpions = names.index("Scorpions")
    assert merged.table.artist_tags.counts.shape[0] == merged.table.n_artists
    assert "hard rock" in merged.table.artist_tags.top(scorpions, 5)


def test_real_fallback_gives_thin_artists_tag_neighbours(hetrec):
    from recommender.matrix import build_matrix, listeners, normalise_rows

    matrix, _ = build_matrix(hetrec)
    table = compute_neighbors(normalise_rows(matrix), 10)
    counts = listeners(matrix)
    fallback = with_tag_fallback(table, hetrec.artist_tags, counts)
    tagged = np.diff(hetrec.artist_tags.counts.indptr) > 0
    by_tags = fallback.evidence == 1
    assert by_tags.sum() > 5_000
    assert ((counts < 3) | (table.ids[:, 0] < 0))[by_tags].all()
    assert tagged[by_tags].all()
    thin = np.flatnonzero(by_tags)[0]
    assert (fallback.shared[thin][fallback.ids[thin] >= 0] >= 1).all()


@pytest.fixture(scope="module")
def hetrec_model(hetrec_dir, tmp_path_factory):
    from recommender.pipeline import BuildOptions, build
    from recommender.progress import Stages

    path = tmp_path_factory.mktemp("hetrec-model") / "model.joblib"
    options = BuildOptions(source_format="hetrec2011", input=hetrec_dir, n_neighbors=10)
    report = build(options, path, Stages(show_progress=False))
    return path, report


def test_build_reports_tags(hetrec_model):
    _, report = hetrec_model
    assert report.tagged_artists > 12_000
    assert 5_000 < report.tag_neighbor_artists < report.tagged_artists
    assert report.artists == 17_632  # HetRec's own artist ids are not folded by default


def test_facade_gives_top_tags_and_says_which_evidence(hetrec_model):
    from recommender import Recommender
    from recommender.render import similar_text

    rec = Recommender.load(hetrec_model[0])
    result = rec.similar("Arctic Monkeys", 3)
    assert result.tags[:2] == ("indie rock", "indie")
    assert rec.tags(result.resolution.artist_id, 2) == ["indie rock", "indie"]
    assert [n.evidence for n in result.neighbors] == ["listeners"] * 3
    assert result.to_json()["tags"][:2] == ["indie rock", "indie"]
    assert "  tags: indie rock, indie" in similar_text(result)

    model = rec.model
    thin = int(np.flatnonzero(model.neighbors.evidence == 1)[0])
    assert model.listeners[thin] < 3
    neighbors = rec.neighbors(thin, 5)
    assert neighbors
    assert all(n.evidence == "tags" for n in neighbors)
    assert all(n.shared >= 1 for n in neighbors)
    # More than precomputed: ranked on demand by tags too, the first ones unchanged.
    longer = rec.neighbors(thin, 40)
    assert [n.artist_id for n in longer[:5]] == [n.artist_id for n in neighbors]
    assert all(n.evidence == "tags" for n in longer)


def test_round_trip_keeps_tags_evidence_and_shared(hetrec_model, tmp_path):
    from recommender.store import load_model, save_model

    model = load_model(hetrec_model[0])
    save_model(model, tmp_path / "again.joblib")
    copy = load_model(tmp_path / "again.joblib", mmap=False)
    assert (copy.tags.counts != model.tags.counts).nnz == 0
    assert list(copy.tags.names) == list(model.tags.names)
    np.testing.assert_array_equal(copy.neighbors.evidence, model.neighbors.evidence)
    np.testing.assert_array_equal(copy.neighbors.shared, model.neighbors.shared)
    assert copy.support == model.support


def test_bot_replies_show_tags_and_tag_evidence(hetrec_model):
    from bot import answers, markup
    from recommender import Recommender

    rec = Recommender.load(hetrec_model[0])
    message = answers.similar(rec, "Arctic Monkeys", 5, markup.PLAIN).message
    assert [f.name for f in message.fields] == ["Tags"]
    assert message.fields[0].value.startswith("indie rock · indie · british")
    assert len(message.description.splitlines()) == 5  # the list itself is unchanged

    thin = int(np.flatnonzero(rec.model.neighbors.evidence == 1)[0])
    chosen = answers.choose(rec, thin, 5, markup.PLAIN).message
    assert chosen.footer.startswith("Too few listeners to compare listening")
    assert chosen.fields[0].name == "Tags"

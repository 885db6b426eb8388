"""The build: read, filter, fold spellings, weight, find neighbours, index names, save."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from recommender import __version__
from recommender.aliases import MergeReport, merge_spellings
from recommender.filters import FilterOptions, apply_filters
from recommender.matching import NameIndex
from recommender.matrix import build_matrix, listeners, normalise_rows
from recommender.model import FORMAT_VERSION, Model
from recommender.neighbors import EVIDENCE, compute_neighbors
from recommender.progress import Stages, peak_memory_bytes
from recommender.readers import read_hetrec2011, read_lastfm360k, read_plays
from recommender.readers.lastfm360k import plays_size
from recommender.results import ModelInfo
from recommender.store import save_model
from recommender.support import BUILD_SHRINKAGE, SupportOptions
from recommender.table import ListeningTable
from recommender.tags import TAG_FALLBACK_LISTENERS, with_tag_fallback

logger = logging.getLogger(__name__)

SAMPLE_NAME = "lastfm-360k-sample.tar.gz"
#: Neighbours precomputed per artist. 200 rather than the 50 a reply shows: summing several
#: artists' lists (the offline evaluation) and /discover's less-known candidates both gain
#: from the longer list; on HetRec, leave-one-out HR@10 rises from 0.175 to 0.198.
DEFAULT_NEIGHBORS = 200

_NO_ROWS = np.zeros(0, dtype=np.int32)
#: Formats whose artists are free-text names, folded by default. HetRec's artists are already
#: the dataset's own ids (one Last.fm page each), so they are left as they are unless asked.
MERGE_BY_DEFAULT = ("lastfm360k", "plays")


def sample_path() -> Path:
    """The generated sample shipped with the package, in the 360K archive format."""
    return Path(str(resources.files("recommender") / "sample" / SAMPLE_NAME))


@dataclass(frozen=True)
class BuildOptions:
    """Everything a build depends on; recorded in the model's metadata.

    ``input=None`` builds the embedded sample. ``merge_names=None`` folds spelling variants
    for the formats in :data:`MERGE_BY_DEFAULT` (see :mod:`recommender.aliases`); ``True`` or
    ``False`` decides for any format. ``support`` sets the minimum shared listeners and the
    shrinkage (see :mod:`recommender.support`). Artists with fewer than
    ``tag_fallback_listeners`` listeners get tag neighbours where the data has tags (0 turns
    that off).
    """

    source_format: str = "lastfm360k"
    input: Path | None = None
    filters: FilterOptions = field(default_factory=FilterOptions)
    weighting: str = "binary"
    n_neighbors: int = DEFAULT_NEIGHBORS
    strict: bool = False
    delimiter: str | None = None
    backend: str = "auto"
    merge_names: bool | None = None
    support: SupportOptions = field(
        default_factory=lambda: SupportOptions(shrinkage=BUILD_SHRINKAGE)
    )
    tag_fallback_listeners: int = TAG_FALLBACK_LISTENERS

    @property
    def merges(self) -> bool:
        """Whether this build folds spelling variants."""
        if self.merge_names is None:
            return self.source_format in MERGE_BY_DEFAULT
        return self.merge_names

    def parameters(self) -> dict[str, Any]:
        return {
            "min_artist_plays": self.filters.min_artist_plays,
            "countries": list(self.filters.countries),
            "weighting": self.weighting,
            "n_neighbors": self.n_neighbors,
            "merge_names": self.merges,
            **self.support.to_json(),
            "tag_fallback_listeners": self.tag_fallback_listeners,
        }


@dataclass
class BuildReport:
    """The build summary: what was read, dropped, built and how long each stage took.

    ``duplicates_merged`` counts (user, artist) rows repeated in the input itself;
    ``spelling_rows_merged`` the rows that repeat a pair only because two spellings were
    folded into one artist (both have their plays summed). ``names_merged`` spellings became
    aliases of another artist.
    """

    source: str
    output: str
    rows_read: int
    dropped: dict[str, int]
    duplicates_merged: int
    users: int
    artists: int
    nonzeros: int
    n_neighbors: int
    stage_seconds: dict[str, float]
    peak_memory_bytes: int
    output_bytes: int
    names_merged: int = 0
    spelling_rows_merged: int = 0
    homonym_keys: int = 0
    min_support: int = 1
    shrinkage: float = 0.0
    tagged_artists: int = 0
    tag_neighbor_artists: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def build(options: BuildOptions, output: Path, stages: Stages | None = None) -> BuildReport:
    """Build a model from ``options`` and save it atomically to ``output``.

    Raises
    ------
    RecommenderError
        For unusable input, filters that leave nothing, and the like. Nothing is written then,
        and a model already at ``output`` stays as it was.
    """
    stages = stages or Stages()
    prepared = prepare_table(options, stages)
    table, aliases, merge, rows_read = (
        prepared.table, prepared.aliases, prepared.merge, prepared.rows_read
    )  # fmt: skip
    del prepared
    with stages.stage("matrix"):
        matrix, repeated = build_matrix(table, options.weighting)
        duplicates = repeated - merge.rows_merged
        normalised = normalise_rows(matrix)
        artist_listeners = listeners(matrix)
        nonzeros = int(matrix.nnz)
        del matrix
        artist_plays = table.artist_plays().astype(np.int64)
        # The matrix holds the listening now: release the row arrays before the big stages.
        table = replace(table, user_codes=_NO_ROWS, artist_codes=_NO_ROWS, plays=_NO_ROWS)
    with stages.stage("neighbours"), stages.bar(table.n_artists, "neighbours", "artist") as bar:
        neighbors = compute_neighbors(
            normalised,
            options.n_neighbors,
            backend=options.backend,
            progress=bar.update,
            support=options.support,
        )
        if table.artist_tags is not None and options.tag_fallback_listeners > 0:
            neighbors = with_tag_fallback(
                neighbors, table.artist_tags, artist_listeners, options.tag_fallback_listeners
            )
        stored = normalised.astype(np.float32)
        del normalised
    with stages.stage("names"):
        names = [str(name) for name in table.artist_names]
        name_index = NameIndex.build(names, artist_listeners, aliases)

    if table.dropped.total:
        logger.warning("%d rows set aside: %s", table.dropped.total, table.dropped.as_dict())
    counts = {
        "rows_read": rows_read,
        "duplicates_merged": duplicates,
        "names_merged": merge.names_merged,
        "spelling_rows_merged": merge.rows_merged,
        **table.dropped.as_dict(),
    }
    tagged = 0 if table.artist_tags is None else table.artist_tags.n_tagged
    by_tags = 0
    if neighbors.evidence is not None:
        by_tags = int(np.count_nonzero(neighbors.evidence == EVIDENCE.index("tags")))
    model = Model(
        artist_names=names,
        listeners=artist_listeners,
        plays=artist_plays,
        neighbors=neighbors,
        matrix=stored,
        name_index=name_index,
        info=_info(options, table, nonzeros, counts),
        aliases=aliases,
        support=options.support,
        tags=table.artist_tags,
    )
    with stages.stage("save"):
        size = save_model(model, output)
    return BuildReport(
        source=model.info.source,
        output=str(output),
        rows_read=rows_read,
        dropped=table.dropped.as_dict(),
        duplicates_merged=duplicates,
        users=table.n_users,
        artists=table.n_artists,
        nonzeros=nonzeros,
        n_neighbors=options.n_neighbors,
        stage_seconds={k: round(v, 3) for k, v in stages.seconds.items()},
        peak_memory_bytes=peak_memory_bytes(),
        output_bytes=size,
        names_merged=merge.names_merged,
        spelling_rows_merged=merge.rows_merged,
        homonym_keys=merge.homonym_keys,
        min_support=options.support.min_support,
        shrinkage=options.support.shrinkage,
        tagged_artists=tagged,
        tag_neighbor_artists=by_tags,
    )


@dataclass
class PreparedTable:
    """The listening rows a model is built from, and what preparing them changed."""

    table: ListeningTable
    rows_read: int
    aliases: list[tuple[str, int]]
    merge: MergeReport


def prepare_table(options: BuildOptions, stages: Stages | None = None) -> PreparedTable:
    """Read, filter and fold spellings: everything before the matrix (stages read, filter).

    The build and the offline evaluation both start here, so they see the same rows.
    """
    stages = stages or Stages(show_progress=False)
    with stages.stage("read"):
        table = read_table(options, stages)
    rows_read = table.rows_read
    with stages.stage("filter"):
        table = apply_filters(table, options.filters)
        # After the filters, so that the rows folded are exactly those in the matrix.
        merge = MergeReport(table.n_artists, table.n_artists, 0, 0)
        aliases: list[tuple[str, int]] = []
        if options.merges:
            merged = merge_spellings(table)
            table, aliases, merge = merged.table, merged.aliases, merged.report
    return PreparedTable(table, rows_read, aliases, merge)


def read_table(options: BuildOptions, stages: Stages | None = None) -> ListeningTable:
    """Read the options' input with the reader for its format."""
    stages = stages or Stages(show_progress=False)
    path = options.input or sample_path()
    if options.source_format == "hetrec2011":
        return read_hetrec2011(path, strict=options.strict)
    if options.source_format == "plays":
        return read_plays(path, delimiter=options.delimiter, strict=options.strict)
    with stages.bar(plays_size(path), "reading plays", "B") as bar:
        return read_lastfm360k(
            path,
            strict=options.strict,
            with_profiles=bool(options.filters.countries),
            with_mbids=options.merges,
            progress=bar.update,
        )


def _info(
    options: BuildOptions, table: ListeningTable, nnz: int, counts: dict[str, int]
) -> ModelInfo:
    source = str(options.input) if options.input else f"embedded sample ({SAMPLE_NAME})"
    return ModelInfo(
        format_version=FORMAT_VERSION,
        package_version=__version__,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        source=source,
        source_format=options.source_format,
        parameters=options.parameters(),
        n_artists=table.n_artists,
        n_users=table.n_users,
        nnz=int(nnz),
        n_neighbors=options.n_neighbors,
        counts=counts,
    )

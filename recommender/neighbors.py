"""Each artist's nearest neighbours by cosine distance, from the L2-normalised matrix.

Distance is ``1 - cosine similarity``. Only artists that share at least one listener with the
query are neighbours (the rest are all at distance 1, which ranks nothing). Ties are broken by
the smaller artist id, so a build is deterministic; the query artist never appears in its own
list.

Two backends compute the same table: ``numba`` runs a compiled kernel (see
:mod:`recommender.topk`) that ranks each artist's co-listened artists one row at a time, on all
cores, without ever holding the artist x artist product; ``scipy`` multiplies the matrix by its
transpose a block of rows at a time and ranks every product with numpy (the reference). The
tests hold them equal to each other and to scikit-learn's brute-force ``NearestNeighbors``.

With support options on (see :mod:`recommender.support`), neighbours are ranked by supported
similarity (cosine shrunk by the number of shared listeners, and none below a minimum) and the
stored distance is ``1 - supported similarity``. Both backends rank exactly: the kernel counts
the listeners every pair shares as it goes, the reference counts them on the binary pattern.
The table also records how many listeners each neighbour shares.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recommender.support import CoListeners, SupportOptions
from recommender.topk import by_listeners, quantise, top_k, uniform_row_weights

logger = logging.getLogger(__name__)

BACKENDS = ("auto", "numba", "scipy")
#: What a neighbour list rests on, by code in ``NeighborTable.evidence``.
EVIDENCE = ("listeners", "tags")

#: Multiply-adds per scipy block: bounds the memory of one block's full product.
_SCIPY_BLOCK_FLOPS = 20_000_000
#: Rows per kernel call: small enough for a smooth progress bar.
_KERNEL_BLOCK_ROWS = 8_192


@dataclass(frozen=True)
class NeighborTable:
    """The precomputed top-k neighbours of every artist.

    Attributes
    ----------
    ids : np.ndarray
        ``int32`` array of shape (n_artists, k): neighbour artist ids, nearest first, padded
        with -1 where an artist has fewer than k co-listened artists.
    distances : np.ndarray
        ``float32`` array of the same shape: cosine distances, ``inf`` where padded.
    shared : np.ndarray or None
        ``int32`` array of the same shape: listeners each neighbour shares with the artist
        (tags, on rows whose evidence is tags), 0 where padded; ``None`` when not counted.
    evidence : np.ndarray or None
        ``uint8`` code per artist into :data:`EVIDENCE`; ``None`` means listeners for all.
    """

    ids: np.ndarray
    distances: np.ndarray
    shared: np.ndarray | None = None
    evidence: np.ndarray | None = None

    @property
    def k(self) -> int:
        return int(self.ids.shape[1])

    def row(self, artist_id: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The first ``k`` (at most the table's k) real neighbours of one artist."""
        ids = self.ids[artist_id, :k]
        valid = ids >= 0
        return ids[valid], self.distances[artist_id, :k][valid]

    def shared_row(self, artist_id: int, k: int) -> np.ndarray | None:
        """Shared listeners (or tags) of the same neighbours as :meth:`row`, if counted."""
        if self.shared is None:
            return None
        return self.shared[artist_id, :k][self.ids[artist_id, :k] >= 0]

    def evidence_of(self, artist_id: int) -> str:
        """What the artist's neighbours rest on: ``"listeners"`` or ``"tags"``."""
        return EVIDENCE[0] if self.evidence is None else EVIDENCE[int(self.evidence[artist_id])]


def compute_neighbors(
    matrix: sp.csr_matrix,
    k: int,
    *,
    backend: str = "auto",
    n_threads: int | None = None,
    progress: Callable[[int], None] | None = None,
    support: SupportOptions | None = None,
) -> NeighborTable:
    """Compute every artist's ``k`` nearest neighbours by cosine distance.

    Parameters
    ----------
    matrix : scipy.sparse.csr_matrix
        Artist x user matrix with L2-normalised rows (see ``normalise_rows``).
    k : int
        Neighbours to keep per artist.
    backend : {"auto", "numba", "scipy"}
        ``auto`` is ``numba``, the compiled kernel; ``scipy`` is the numpy reference.
    n_threads : int, optional
        Threads for the ``numba`` backend; defaults to the number of CPUs.
    progress : callable, optional
        Called with the number of artist rows finished, block by block.
    support : SupportOptions, optional
        Minimum shared listeners and shrinkage; the default is plain cosine.

    Returns
    -------
    NeighborTable
        With the listeners each neighbour shares with its artist in ``shared``.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    support = support or SupportOptions()
    matrix = sp.csr_matrix(matrix, dtype=np.float64)
    matrix.sort_indices()
    transposed = matrix.T.tocsr()
    counter = CoListeners(matrix)
    row_weights, labels = None, None
    if backend != "scipy":
        row_weights = uniform_row_weights(matrix)
        transposed, labels = by_listeners(transposed, matrix.shape[0])
    n = matrix.shape[0]
    ids = np.full((n, k), -1, dtype=np.int32)
    distances = np.full((n, k), np.inf, dtype=np.float32)
    shared = np.zeros((n, k), dtype=np.int32)

    if backend == "scipy":
        blocks = _scipy_blocks(matrix, transposed)
    else:
        blocks = [(start, min(start + _KERNEL_BLOCK_ROWS, n))
                  for start in range(0, n, _KERNEL_BLOCK_ROWS)]  # fmt: skip
    for start, stop in blocks:
        if backend == "scipy":
            block_ids, block_distances, block_shared = _exact_block(
                matrix[start:stop], transposed, np.arange(start, stop), k, support, counter
            )
        else:
            block_ids, similarities, block_shared = top_k(
                matrix, transposed, start, stop, k, min_support=support.min_support,
                shrinkage=support.shrinkage, n_threads=n_threads, row_weights=row_weights,
                labels=labels,
            )  # fmt: skip
            block_distances = np.where(block_ids >= 0, np.clip(1.0 - similarities, 0.0, 2.0),
                                       np.inf)  # fmt: skip
        ids[start:stop] = block_ids
        distances[start:stop] = block_distances
        shared[start:stop] = block_shared
        if progress is not None:
            progress(stop - start)
    logger.info(
        "neighbours: top %d for %d artists (%s backend, min support %d, shrinkage %g)",
        k, n, backend, support.min_support, support.shrinkage,
    )  # fmt: skip
    return NeighborTable(ids=ids, distances=distances, shared=shared)


def _exact_block(
    rows: sp.csr_matrix,
    transposed: sp.csr_matrix,
    self_ids: np.ndarray,
    k: int,
    support: SupportOptions,
    counter: CoListeners,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reference ranking of some rows from their full product with every artist."""
    product = (rows @ transposed).tocsr()
    product.sort_indices()
    counts = counter.count_product(self_ids, product)
    if support.active:
        return _rank_supported(product, counts, self_ids, k, support)
    ids, distances, kept = _rank(product, self_ids, k, counts)
    assert kept is not None
    return ids, distances, kept


def query_neighbors(
    matrix: sp.csr_matrix,
    artist_id: int,
    k: int,
    *,
    support: SupportOptions | None = None,
    counter: CoListeners | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Rank one artist's ``k`` nearest neighbours on demand, with the same rules as the table.

    Used when more neighbours are asked for than were precomputed. Costs one sparse
    matrix-vector product over the whole matrix (two with support on a non-binary matrix).
    ``support`` must be the options the table was built with; ``counter`` may be passed to
    reuse one :class:`~recommender.support.CoListeners` across queries.
    """
    ids, distances, _ = query_row(matrix, artist_id, k, support=support, counter=counter)
    return ids, distances


def query_row(
    matrix: sp.csr_matrix,
    artist_id: int,
    k: int,
    *,
    support: SupportOptions | None = None,
    counter: CoListeners | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Like :func:`query_neighbors`, with the shared listeners of each neighbour (if counted).

    Shared listeners are counted when support is on or the matrix is binary, else ``None``.
    """
    support = support or SupportOptions()
    similarities = (matrix @ matrix[artist_id].T).tocsc()
    column = sp.csr_matrix(
        (similarities.data.astype(np.float64), similarities.indices, [0, similarities.nnz]),
        shape=(1, matrix.shape[0]),
    )
    column.sort_indices()
    self_ids = np.array([artist_id])
    counter = counter or CoListeners(matrix)
    if support.active:
        shared = counter.count_product(self_ids, column)
        ids, distances, top_shared = _rank_supported(column, shared, self_ids, k, support)
    else:
        ids, distances = rank_rows(column, self_ids, k)
        top_shared = _cosine_shared(counter, self_ids, ids, distances)
    valid = ids[0] >= 0
    kept_shared = None if top_shared is None else top_shared[0][valid]
    return ids[0][valid], distances[0][valid], kept_shared


def rank_rows(
    product: sp.csr_matrix, self_ids: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Top ``k`` columns of each row of a similarity block, self excluded, ties by id.

    Parameters
    ----------
    product : scipy.sparse.csr_matrix
        Cosine similarities of some artists (rows) with every artist (columns).
    self_ids : np.ndarray
        The artist id of each row, to leave each artist out of its own list.
    k : int
        How many neighbours to keep.

    Returns
    -------
    tuple of (np.ndarray, np.ndarray)
        ``int32`` ids and ``float32`` distances, shape (rows, k), padded with -1 and inf.
    """
    ids, distances, _ = _rank(product, self_ids, k)
    return ids, distances


def _rank(
    product: sp.csr_matrix, self_ids: np.ndarray, k: int, extra: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """:func:`rank_rows`, carrying one more value per entry (``extra``) into the top k."""
    n_rows = product.shape[0]
    rows = np.repeat(np.arange(n_rows), np.diff(product.indptr))
    cols = product.indices
    sims = product.data
    keep = (cols != self_ids[rows]) & (sims > 0)
    rows, cols, sims = rows[keep], cols[keep], sims[keep]
    entry = np.flatnonzero(keep)

    order = np.lexsort((cols, -quantise(sims), rows))
    rows, cols, sims, entry = rows[order], cols[order], sims[order], entry[order]
    rank = np.arange(rows.shape[0]) - np.searchsorted(rows, rows, side="left")
    top = rank < k

    ids = np.full((n_rows, k), -1, dtype=np.int32)
    distances = np.full((n_rows, k), np.inf, dtype=np.float32)
    ids[rows[top], rank[top]] = cols[top]
    distances[rows[top], rank[top]] = np.clip(1.0 - sims[top], 0.0, 2.0)
    if extra is None:
        return ids, distances, None
    kept = np.zeros((n_rows, k), dtype=np.int32)
    kept[rows[top], rank[top]] = extra[entry[top]]
    return ids, distances, kept


def _rank_supported(
    product: sp.csr_matrix,
    shared: np.ndarray,
    self_ids: np.ndarray,
    k: int,
    support: SupportOptions,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rank a product's entries by supported similarity; return ids, distances, shared."""
    scores = support.score(product.data, shared)
    supported = sp.csr_matrix((scores, product.indices, product.indptr), shape=product.shape)
    ids, distances, kept = _rank(supported, self_ids, k, shared)
    assert kept is not None
    return ids, distances, kept


def _cosine_shared(
    counter: CoListeners, self_ids: np.ndarray, ids: np.ndarray, distances: np.ndarray
) -> np.ndarray | None:
    """Shared listeners of ranked plain-cosine neighbours; free for binary matrices only."""
    if not counter.binary:
        return None
    shared = np.zeros(ids.shape, dtype=np.int32)
    valid = ids >= 0
    rows = np.broadcast_to(self_ids[:, None], ids.shape)[valid]
    similarity = 1.0 - distances[valid].astype(np.float64)
    shared[valid] = counter.count(rows, ids[valid], similarity)
    return shared


def _scipy_blocks(matrix: sp.csr_matrix, transposed: sp.csr_matrix) -> list[tuple[int, int]]:
    """Row blocks whose product needs at most about ``_SCIPY_BLOCK_FLOPS`` multiply-adds."""
    user_degree = np.diff(transposed.indptr)
    per_entry = user_degree[matrix.indices]
    flops = np.zeros(matrix.shape[0], dtype=np.int64)
    nonempty = np.diff(matrix.indptr) > 0
    flops[nonempty] = np.add.reduceat(per_entry, matrix.indptr[:-1][nonempty])
    cumulative = np.cumsum(flops)
    blocks, start = [], 0
    while start < matrix.shape[0]:
        limit = (cumulative[start - 1] if start else 0) + _SCIPY_BLOCK_FLOPS
        stop = max(start + 1, int(np.searchsorted(cumulative, limit, side="right")))
        blocks.append((start, min(stop, matrix.shape[0])))
        start = stop
    return blocks

"""Each artist's nearest neighbours by cosine distance, from the L2-normalised matrix.

Distance is ``1 - cosine similarity``. Only artists that share at least one listener with the
query are neighbours (the rest are all at distance 1, which ranks nothing). Ties are broken by
the smaller artist id, so a build is deterministic; the query artist never appears in its own
list.

Two backends compute the same table: ``scipy`` multiplies the matrix by its transpose a block of
rows at a time and ranks every product (the reference), and ``topn`` uses ``sparse_dot_topn``,
a multi-threaded sparse product that keeps only the best ``k + 1`` entries per row and never
holds the full artist x artist product. The tests hold them equal to each other and to
scikit-learn's brute-force ``NearestNeighbors``.

With support options on (see :mod:`recommender.support`), neighbours are ranked by supported
similarity (cosine shrunk by the number of shared listeners, and none below a minimum) and the
stored distance is ``1 - supported similarity``. Both backends still give the exact ranking:
``topn`` ranks the best ``CANDIDATE_FACTOR * k`` cosine candidates, and since supported
similarity never exceeds cosine, a row whose k-th supported score beats the smallest cosine the
product kept cannot be improved from outside the candidates; the other rows are redone with the
full product. The table also records how many listeners each neighbour shares.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recommender.support import CANDIDATE_FACTOR, CoListeners, SupportOptions

logger = logging.getLogger(__name__)

BACKENDS = ("auto", "topn", "scipy")
#: What a neighbour list rests on, by code in ``NeighborTable.evidence``.
EVIDENCE = ("listeners", "tags")

#: Similarities equal to this many decimals count as ties (broken by artist id).
_TIE_DECIMALS = 12
#: Multiply-adds per scipy block: bounds the memory of one block's full product.
_SCIPY_BLOCK_FLOPS = 20_000_000
#: Rows per sparse_dot_topn call: small enough for a smooth progress bar.
_TOPN_BLOCK_ROWS = 16_384


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
    candidates: int | None = None,
) -> NeighborTable:
    """Compute every artist's ``k`` nearest neighbours by cosine distance.

    Parameters
    ----------
    matrix : scipy.sparse.csr_matrix
        Artist x user matrix with L2-normalised rows (see ``normalise_rows``).
    k : int
        Neighbours to keep per artist.
    backend : {"auto", "topn", "scipy"}
        ``auto`` takes ``topn`` when sparse_dot_topn is installed.
    n_threads : int, optional
        Threads for the ``topn`` backend; defaults to the number of CPUs.
    progress : callable, optional
        Called with the number of artist rows finished, block by block.
    support : SupportOptions, optional
        Minimum shared listeners and shrinkage; the default is plain cosine.
    candidates : int, optional
        Cosine candidates per artist re-ranked when support is on (``topn`` backend);
        defaults to ``CANDIDATE_FACTOR * k``. Fewer makes the product cheaper and leaves more
        rows to redo exactly; the result is the same.

    Returns
    -------
    NeighborTable
        With ``shared`` counted when support is on or the matrix is binary.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "auto":
        backend = "topn" if _has_topn() else "scipy"
    support = support or SupportOptions()
    matrix = sp.csr_matrix(matrix, dtype=np.float64)
    transposed = matrix.T.tocsr()
    counter = CoListeners(matrix)
    counted = support.active or counter.binary
    ids = np.full((matrix.shape[0], k), -1, dtype=np.int32)
    distances = np.full((matrix.shape[0], k), np.inf, dtype=np.float32)
    shared = np.zeros((matrix.shape[0], k), dtype=np.int32) if counted else None
    ranker = _Ranker(transposed, counter, support, k, candidates or CANDIDATE_FACTOR * k)

    blocks = _topn_blocks(matrix) if backend == "topn" else _scipy_blocks(matrix, transposed)
    threads = n_threads or os.cpu_count() or 1
    redone = 0
    for start, stop in blocks:
        block = matrix[start:stop]
        self_ids = np.arange(start, stop)
        if support.active:
            block_ids, block_distances, block_shared, block_redone = ranker.supported(
                block, self_ids, backend, threads
            )
            redone += block_redone
        else:
            if backend == "topn":
                block_ids, block_distances = _topn_block(block, transposed, self_ids, k, threads)
            else:
                block_ids, block_distances = rank_rows((block @ transposed).tocsr(), self_ids, k)
            block_shared = _cosine_shared(counter, self_ids, block_ids, block_distances)
        ids[start:stop] = block_ids
        distances[start:stop] = block_distances
        if shared is not None:
            shared[start:stop] = block_shared
        if progress is not None:
            progress(stop - start)
    logger.info(
        "neighbours: top %d for %d artists (%s backend, min support %d, shrinkage %g, "
        "%d rows ranked in full)",
        k,
        matrix.shape[0],
        backend,
        support.min_support,
        support.shrinkage,
        redone,
    )
    return NeighborTable(ids=ids, distances=distances, shared=shared)


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

    order = np.lexsort((cols, -np.round(sims, _TIE_DECIMALS), rows))
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


class _Ranker:
    """Supported ranking of row blocks: candidates from the product, exact where unsure."""

    def __init__(
        self,
        transposed: sp.csr_matrix,
        counter: CoListeners,
        support: SupportOptions,
        k: int,
        candidates: int,
    ) -> None:
        self.transposed = transposed
        self.counter = counter
        self.support = support
        self.k = k
        self.candidates = max(candidates, k)

    def supported(
        self, block: sp.csr_matrix, self_ids: np.ndarray, backend: str, threads: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """Ids, distances and shared listeners of a block's rows, and how many were redone."""
        if backend == "scipy":
            return (*self.exact(block, self_ids), 0)
        from sparse_dot_topn import sp_matmul_topn

        top_n = self.candidates + 1  # the artist itself is usually among them
        product = sp_matmul_topn(block, self.transposed, top_n=top_n, n_threads=threads)
        rows = np.repeat(np.arange(block.shape[0]), np.diff(product.indptr))
        shared = self.counter.count(self_ids[rows], product.indices, product.data)
        ids, distances, kept = _rank_supported(product, shared, self_ids, self.k, self.support)

        # Outside the candidates every cosine, and so every supported score, is at most the
        # smallest cosine kept; a row whose k-th score is above that is exact.
        full = np.flatnonzero(np.diff(product.indptr) == top_n)
        if full.size:
            entries = product.indptr[full][:, None] + np.arange(top_n)
            smallest = product.data[entries].min(axis=1)
            kth = 1.0 - distances[full, self.k - 1].astype(np.float64)
            unsure = full[~(kth > smallest + 1e-6)]
            if unsure.size:
                ids[unsure], distances[unsure], kept[unsure] = self.exact(
                    block[unsure], self_ids[unsure]
                )
            return ids, distances, kept, int(unsure.size)
        return ids, distances, kept, 0

    def exact(
        self, rows: sp.csr_matrix, self_ids: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rank every co-listened artist of some rows (full products, in bounded blocks)."""
        ids = np.full((rows.shape[0], self.k), -1, dtype=np.int32)
        distances = np.full((rows.shape[0], self.k), np.inf, dtype=np.float32)
        shared = np.zeros((rows.shape[0], self.k), dtype=np.int32)
        for start, stop in _scipy_blocks(rows, self.transposed):
            product = (rows[start:stop] @ self.transposed).tocsr()
            product.sort_indices()
            part = self_ids[start:stop]
            counts = self.counter.count_product(part, product)
            ids[start:stop], distances[start:stop], shared[start:stop] = _rank_supported(
                product, counts, part, self.k, self.support
            )
        return ids, distances, shared


def _topn_block(
    block: sp.csr_matrix, transposed: sp.csr_matrix, self_ids: np.ndarray, k: int, threads: int
) -> tuple[np.ndarray, np.ndarray]:
    """Top k with sparse_dot_topn; rows where a tie may cross the cut are redone exactly."""
    from sparse_dot_topn import sp_matmul_topn

    # k + 2: the artist itself is usually kept and dropped, and one more shows whether the
    # k-th value is tied with entries the product had to cut.
    top_n = k + 2
    product = sp_matmul_topn(block, transposed, top_n=top_n, n_threads=threads)
    ids, distances = rank_rows(product, self_ids, k)

    full = np.flatnonzero(np.diff(product.indptr) == top_n)
    if full.size:
        entries = product.indptr[full][:, None] + np.arange(top_n)
        smallest = product.data[entries].min(axis=1)
        kth = 1.0 - distances[full, k - 1].astype(np.float64)
        tied = full[np.abs(kth - smallest) <= 1e-6]
        if tied.size:
            exact = (block[tied] @ transposed).tocsr()
            ids[tied], distances[tied] = rank_rows(exact, self_ids[tied], k)
    return ids, distances


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


def _topn_blocks(matrix: sp.csr_matrix) -> list[tuple[int, int]]:
    n = matrix.shape[0]
    return [(start, min(start + _TOPN_BLOCK_ROWS, n)) for start in range(0, n, _TOPN_BLOCK_ROWS)]


def _has_topn() -> bool:
    try:
        import sparse_dot_topn  # noqa: F401
    except ImportError:
        return False
    return True

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
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

logger = logging.getLogger(__name__)

BACKENDS = ("auto", "topn", "scipy")

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
    """

    ids: np.ndarray
    distances: np.ndarray

    @property
    def k(self) -> int:
        return int(self.ids.shape[1])

    def row(self, artist_id: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The first ``k`` (at most the table's k) real neighbours of one artist."""
        ids = self.ids[artist_id, :k]
        valid = ids >= 0
        return ids[valid], self.distances[artist_id, :k][valid]


def compute_neighbors(
    matrix: sp.csr_matrix,
    k: int,
    *,
    backend: str = "auto",
    n_threads: int | None = None,
    progress: Callable[[int], None] | None = None,
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

    Returns
    -------
    NeighborTable
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "auto":
        backend = "topn" if _has_topn() else "scipy"
    matrix = sp.csr_matrix(matrix, dtype=np.float64)
    transposed = matrix.T.tocsr()
    ids = np.full((matrix.shape[0], k), -1, dtype=np.int32)
    distances = np.full((matrix.shape[0], k), np.inf, dtype=np.float32)

    blocks = _topn_blocks(matrix) if backend == "topn" else _scipy_blocks(matrix, transposed)
    threads = n_threads or os.cpu_count() or 1
    for start, stop in blocks:
        block = matrix[start:stop]
        self_ids = np.arange(start, stop)
        if backend == "topn":
            block_ids, block_distances = _topn_block(block, transposed, self_ids, k, threads)
        else:
            block_ids, block_distances = rank_rows((block @ transposed).tocsr(), self_ids, k)
        ids[start:stop] = block_ids
        distances[start:stop] = block_distances
        if progress is not None:
            progress(stop - start)
    logger.info("neighbours: top %d for %d artists (%s backend)", k, matrix.shape[0], backend)
    return NeighborTable(ids=ids, distances=distances)


def query_neighbors(matrix: sp.csr_matrix, artist_id: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Rank one artist's ``k`` nearest neighbours on demand, with the same rules as the table.

    Used when more neighbours are asked for than were precomputed. Costs one sparse
    matrix-vector product over the whole matrix.
    """
    similarities = (matrix @ matrix[artist_id].T).tocsc()
    column = sp.csr_matrix(
        (similarities.data, similarities.indices, [0, similarities.nnz]),
        shape=(1, matrix.shape[0]),
    )
    ids, distances = rank_rows(column.astype(np.float64), np.array([artist_id]), k)
    valid = ids[0] >= 0
    return ids[0][valid], distances[0][valid]


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
    n_rows = product.shape[0]
    rows = np.repeat(np.arange(n_rows), np.diff(product.indptr))
    cols = product.indices
    sims = product.data
    keep = (cols != self_ids[rows]) & (sims > 0)
    rows, cols, sims = rows[keep], cols[keep], sims[keep]

    order = np.lexsort((cols, -np.round(sims, _TIE_DECIMALS), rows))
    rows, cols, sims = rows[order], cols[order], sims[order]
    rank = np.arange(rows.shape[0]) - np.searchsorted(rows, rows, side="left")
    top = rank < k

    ids = np.full((n_rows, k), -1, dtype=np.int32)
    distances = np.full((n_rows, k), np.inf, dtype=np.float32)
    ids[rows[top], rank[top]] = cols[top]
    distances[rows[top], rank[top]] = np.clip(1.0 - sims[top], 0.0, 2.0)
    return ids, distances


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

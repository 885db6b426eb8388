"""Artist-to-artist similarity for the evaluation: the build's neighbour table, or a variant.

The evaluation scores users with a sparse artists x artists matrix ``S``: row ``j`` holds the
``k`` neighbours of artist ``j`` with their similarity (``1 - distance``). Plain and supported
cosine (minimum shared listeners, shrinkage) come straight from
:func:`recommender.neighbors.compute_neighbors`, so they are exactly what a build computes.

Asymmetric cosine is the one variant computed here (the build has no such option yet). From
a known artist ``j`` to a candidate ``i`` it is::

    dot(w_j, w_i) / (|w_j| ** (2 * alpha) * |w_i| ** (2 - 2 * alpha))
        = cosine(j, i) * (|w_i| / |w_j|) ** (2 * alpha - 1)

``alpha = 0.5`` is cosine; with binary weighting and ``alpha = 1`` it is the share of ``j``'s
listeners who also play ``i``, which favours popular candidates. Between the two it moves
recommendations towards better-known artists by a tunable amount.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recommender.evaluate.ranking import top_n
from recommender.matrix import normalise_rows
from recommender.neighbors import NeighborTable, compute_neighbors
from recommender.support import CoListeners, SupportOptions

logger = logging.getLogger(__name__)

#: Multiply-adds per block of the asymmetric product (bounds its memory).
_BLOCK_FLOPS = 20_000_000


@dataclass(frozen=True)
class SimilarityOptions:
    """How the neighbour table is made.

    Attributes
    ----------
    k : int
        Neighbours kept per artist.
    shrinkage : float
        ``LAMBDA`` in ``similarity * n / (n + LAMBDA)``, ``n`` the shared listeners; 0 is off.
    min_support : int
        Fewest shared listeners for a neighbour; 1 keeps all.
    asymmetry : float
        ``alpha`` of asymmetric cosine; 0.5 is cosine.
    """

    k: int = 50
    shrinkage: float = 0.0
    min_support: int = 1
    asymmetry: float = 0.5

    @property
    def support(self) -> SupportOptions:
        return SupportOptions(min_support=self.min_support, shrinkage=self.shrinkage)


def neighbor_similarities(
    weighted: sp.csr_matrix,
    options: SimilarityOptions,
    *,
    backend: str = "auto",
    progress: Callable[[int], None] | None = None,
) -> sp.csr_matrix:
    """The artists x artists matrix of each artist's ``k`` neighbours and their similarity.

    Parameters
    ----------
    weighted : scipy.sparse.csr_matrix
        The weighted artist x user matrix (not yet normalised).
    options : SimilarityOptions
        Neighbours, support and asymmetry.
    backend : str
        Passed to :func:`~recommender.neighbors.compute_neighbors`.
    progress : callable, optional
        Called with the number of artist rows finished.

    Returns
    -------
    scipy.sparse.csr_matrix
        Row ``j``: the neighbours of artist ``j`` (never ``j`` itself), similarity as value.
    """
    normalised = normalise_rows(weighted)
    if options.asymmetry == 0.5:
        table = compute_neighbors(
            normalised, options.k, backend=backend, progress=progress, support=options.support
        )
        return table_matrix(table)
    return asymmetric_similarities(normalised, weighted, options, progress=progress)


def table_matrix(table: NeighborTable) -> sp.csr_matrix:
    """A neighbour table as a sparse matrix, similarity ``1 - distance`` as values."""
    n_artists = table.ids.shape[0]
    valid = table.ids >= 0
    rows = np.repeat(np.arange(n_artists), table.k).reshape(n_artists, table.k)[valid]
    values = 1.0 - table.distances[valid].astype(np.float64)
    return sp.csr_matrix((values, (rows, table.ids[valid])), shape=(n_artists, n_artists))


def asymmetric_similarities(
    normalised: sp.csr_matrix,
    weighted: sp.csr_matrix,
    options: SimilarityOptions,
    *,
    progress: Callable[[int], None] | None = None,
) -> sp.csr_matrix:
    """Top ``k`` neighbours of every artist by asymmetric cosine (exact, block by block).

    Support (minimum shared listeners, shrinkage) applies on top, as in the build.
    """
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    exponent = 2.0 * options.asymmetry - 1.0
    scale = np.zeros_like(norms)
    scale[norms > 0] = norms[norms > 0] ** exponent
    transposed = normalised.T.tocsr()
    counter = CoListeners(normalised) if options.support.active else None
    support = options.support

    blocks = []
    for start, stop in _blocks(normalised, transposed):
        product = (normalised[start:stop] @ transposed).tocsr()
        rows = np.repeat(np.arange(start, stop), np.diff(product.indptr))
        # Shared listeners are read off the cosine product, so count them before rescaling.
        shared = None if counter is None else counter.count_product(np.arange(start, stop), product)
        product.data *= scale[product.indices] / scale[rows]
        if shared is not None:
            product.data = support.score(product.data, shared)
        product.data[product.indices == rows] = 0.0
        ids, values = top_n(product, options.k)
        blocks.append(_rows_matrix(ids, values, normalised.shape[0]))
        if progress is not None:
            progress(stop - start)
    logger.info(
        "asymmetric neighbours: top %d for %d artists (alpha %g)",
        options.k,
        normalised.shape[0],
        options.asymmetry,
    )
    return sp.vstack(blocks, format="csr")


def _rows_matrix(ids: np.ndarray, values: np.ndarray, n_artists: int) -> sp.csr_matrix:
    valid = ids >= 0
    rows = np.repeat(np.arange(ids.shape[0]), ids.shape[1]).reshape(ids.shape)[valid]
    return sp.csr_matrix((values[valid], (rows, ids[valid])), shape=(ids.shape[0], n_artists))


def _blocks(matrix: sp.csr_matrix, transposed: sp.csr_matrix) -> list[tuple[int, int]]:
    """Row blocks whose product needs at most about ``_BLOCK_FLOPS`` multiply-adds."""
    user_degree = np.diff(transposed.indptr)
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    per_row = np.bincount(rows, weights=user_degree[matrix.indices], minlength=matrix.shape[0])
    cumulative = np.cumsum(per_row)
    blocks, start = [], 0
    while start < matrix.shape[0]:
        base = cumulative[start - 1] if start else 0
        stop = max(start + 1, int(np.searchsorted(cumulative, base + _BLOCK_FLOPS, side="right")))
        stop = min(stop, matrix.shape[0])
        blocks.append((start, stop))
        start = stop
    return blocks

"""A compiled kernel for the exact top-k neighbours of every row of a sparse matrix.

For each artist row the kernel scatters ``x_iu * x_ju`` into a dense accumulator over the
artists of each of its users (the sparse product one row at a time, touching only co-listened
artists, and counting the users each pair shares), then keeps the best ``k`` in a small heap.
No artist x artist product is ever held. The kernel releases the GIL, so Python threads run it
on interleaved rows in parallel, each with its own accumulators.

Ranking is by (supported) similarity quantised to ``TIE_DECIMALS`` decimals, then by the
smaller artist id: exactly the order of :func:`recommender.neighbors.rank_rows`, so the compiled
and the reference backend give one table.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp
from numba import njit

TIE_DECIMALS = 12
_SCALE = 10.0**TIE_DECIMALS


def quantise(similarities: np.ndarray) -> np.ndarray:
    """Similarities as integers at ``TIE_DECIMALS`` decimals: equal keys are ties."""
    return np.floor(np.asarray(similarities, dtype=np.float64) * _SCALE + 0.5).astype(np.int64)


def top_k(
    matrix: sp.csr_matrix,
    transposed: sp.csr_matrix,
    first: int,
    stop: int,
    k: int,
    *,
    min_support: int = 1,
    shrinkage: float = 0.0,
    n_threads: int | None = None,
    row_weights: np.ndarray | None = None,
    labels: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Top ``k`` neighbours of rows ``first`` to ``stop - 1`` of a row-normalised matrix.

    Parameters
    ----------
    matrix, transposed : scipy.sparse.csr_matrix
        The artist x user matrix (``float64``, rows of unit length) and its transpose, whose
        artists may be renumbered (see ``labels``).
    first, stop : int
        The rows to rank.
    k : int
        Neighbours per row.
    min_support : int
        Fewest users a neighbour must share with the row.
    shrinkage : float
        With ``n`` shared users, rank by ``cosine * n / (n + shrinkage)``; 0 for plain cosine.
    n_threads : int, optional
        Threads to run the kernel on; defaults to the number of CPUs.
    row_weights : np.ndarray, optional
        The one value of each row, when every row holds one value (a normalised binary
        matrix; see :func:`uniform_row_weights`). The kernel then only counts shared users
        (one accumulator instead of two) and sums the similarity afterwards, the same
        additions in the same order, so the result is bit for bit the same.
    labels : np.ndarray, optional
        The artist id of each number in ``transposed`` when its artists are renumbered (see
        :func:`by_listeners`); ``None`` when they are the ids themselves.

    Returns
    -------
    tuple of np.ndarray
        Ids (``int32``, -1 where fewer than ``k`` neighbours exist), quantised similarities
        (``float64``, 0 where missing) and shared users (``int32``), each (stop - first, k).
    """
    n_rows = stop - first
    ids = np.full((n_rows, k), -1, dtype=np.int32)
    similarities = np.zeros((n_rows, k), dtype=np.float64)
    shared = np.zeros((n_rows, k), dtype=np.int32)
    lanes = max(1, min(n_threads or os.cpu_count() or 1, n_rows))
    if labels is None:
        labels = np.arange(matrix.shape[0], dtype=np.int32)
    numbers = np.empty_like(labels)
    numbers[labels] = np.arange(labels.shape[0], dtype=np.int32)
    uniform = row_weights is not None
    # By number, like the accumulators: the selection then reads one more array in step.
    weights = row_weights[labels] if uniform else np.zeros(0, dtype=np.float64)
    arguments = (
        matrix.indptr, matrix.indices, matrix.data,
        transposed.indptr, transposed.indices, transposed.data, labels, numbers,
        uniform, weights, min_support, float(shrinkage), ids, similarities, shared,
    )  # fmt: skip
    if lanes == 1:
        _rank_rows(first, first, stop, 1, *arguments)
    else:
        with ThreadPoolExecutor(lanes) as pool:
            jobs = [pool.submit(_rank_rows, first, first + lane, stop, lanes, *arguments)
                    for lane in range(lanes)]  # fmt: skip
            for job in jobs:
                job.result()
    return ids, similarities, shared


def by_listeners(transposed: sp.csr_matrix, n_artists: int) -> tuple[sp.csr_matrix, np.ndarray]:
    """The transpose with artists renumbered most listened first, and each number's artist.

    The kernel's accumulators are indexed by these numbers. Most of its scattered additions
    go to the few thousand most listened artists; numbered first, their accumulators share
    cache lines and stay in the CPU's caches instead of being spread over the whole catalogue.
    """
    listeners = np.bincount(transposed.indices, minlength=n_artists)
    labels = np.argsort(-listeners, kind="stable").astype(np.int32)
    number_of = np.empty(n_artists, dtype=np.int32)
    number_of[labels] = np.arange(n_artists, dtype=np.int32)
    renumbered = sp.csr_matrix(
        (transposed.data, number_of[transposed.indices], transposed.indptr),
        shape=transposed.shape,
    )
    return renumbered, labels


def uniform_row_weights(matrix: sp.csr_matrix) -> np.ndarray | None:
    """Each row's one stored value if every row stores a single value (0 for empty rows).

    ``None`` as soon as a row holds two different values (any weighting but ``binary``).
    """
    counts = np.diff(matrix.indptr)
    filled = counts > 0
    weights = np.zeros(matrix.shape[0], dtype=np.float64)
    if not filled.any():
        return weights
    starts = matrix.indptr[:-1][filled]  # empty rows left out, each segment is one row
    highest = np.maximum.reduceat(matrix.data, starts)
    if not np.array_equal(highest, np.minimum.reduceat(matrix.data, starts)):
        return None
    weights[filled] = highest
    return weights


@njit(cache=True, inline="always")
def _worse(key_a: np.int64, id_a: np.int32, key_b: np.int64, id_b: np.int32) -> bool:
    return key_a < key_b or (key_a == key_b and id_a > id_b)


#: Relative margin over ``n * product`` that the sum of ``n`` equal products never exceeds
#: (rounding adds at most ``n`` units in the last place, and ``n`` is below a billion).
_SUM_MARGIN = 1e-6


@njit(cache=True, inline="always")
def _cannot_enter(worst_key: np.int64, product: float, n_shared: int, shrinkage: float) -> bool:
    """Whether an upper bound of the score already ranks below the heap's worst entry."""
    bound = n_shared * product * (1.0 + _SUM_MARGIN)
    if shrinkage > 0.0:
        bound *= n_shared / (n_shared + shrinkage)
    return np.int64(np.floor(bound * _SCALE + 0.5)) < worst_key


@njit(cache=True)
def _swap(keys: np.ndarray, ids: np.ndarray, extra: np.ndarray, a: int, b: int) -> None:
    keys[a], keys[b] = keys[b], keys[a]
    ids[a], ids[b] = ids[b], ids[a]
    extra[a], extra[b] = extra[b], extra[a]


@njit(cache=True)
def _sift_down(keys: np.ndarray, ids: np.ndarray, extra: np.ndarray, size: int, at: int) -> None:
    """Restore the min-heap (worst neighbour on top) below ``at``."""
    while True:
        worst = at
        for child in (2 * at + 1, 2 * at + 2):
            if child < size and _worse(keys[child], ids[child], keys[worst], ids[worst]):
                worst = child
        if worst == at:
            return
        _swap(keys, ids, extra, at, worst)
        at = worst


@njit(cache=True)
def _sift_up(keys: np.ndarray, ids: np.ndarray, extra: np.ndarray, at: int) -> None:
    while at > 0:
        parent = (at - 1) // 2
        if not _worse(keys[at], ids[at], keys[parent], ids[parent]):
            return
        _swap(keys, ids, extra, at, parent)
        at = parent


@njit(nogil=True, cache=True)
def _rank_rows(
    base: int,
    first: int,
    stop: int,
    step: int,
    indptr: np.ndarray,
    indices: np.ndarray,
    data: np.ndarray,
    t_indptr: np.ndarray,
    t_indices: np.ndarray,
    t_data: np.ndarray,
    labels: np.ndarray,
    numbers: np.ndarray,
    uniform: bool,
    number_weights: np.ndarray,
    min_support: int,
    shrinkage: float,
    out_ids: np.ndarray,
    out_similarities: np.ndarray,
    out_shared: np.ndarray,
) -> None:
    """Rank rows ``first, first + step, ...`` below ``stop`` into output row ``row - base``.

    With ``uniform`` rows (``number_weights``, by number) the scatter counts shared users
    only; the similarity is then the product of the two weights added up once per shared
    user, exactly the sum the general scatter makes. The accumulators are indexed by the
    transpose's artist numbers (``numbers`` maps an id to its number); ``labels`` turns a
    number into the artist id that ties are broken on and that is emitted, looked up only for
    candidates that reach the heap.
    """
    n_artists = indptr.shape[0] - 1
    k = out_ids.shape[1]
    acc = np.zeros(n_artists, dtype=np.float64)
    shared = np.zeros(n_artists, dtype=np.int32)
    touched = np.empty(n_artists, dtype=np.int32)
    heap_keys = np.empty(k, dtype=np.int64)
    heap_ids = np.empty(k, dtype=np.int32)
    heap_shared = np.empty(k, dtype=np.int32)
    for row in range(first, stop, step):
        row_number = numbers[row]
        # Scatter: similarity and shared users with every co-listened artist.
        n_touched = 0
        for p in range(indptr[row], indptr[row + 1]):
            user = indices[p]
            weight = data[p]
            for q in range(t_indptr[user], t_indptr[user + 1]):
                number = t_indices[q]
                if shared[number] == 0:
                    touched[n_touched] = number
                    n_touched += 1
                shared[number] += 1
                if not uniform:
                    acc[number] += weight * t_data[q]

        # Select: the best k by (quantised score, smaller id), resetting the accumulators.
        size = 0
        for t in range(n_touched):
            number = touched[t]
            n_shared = shared[number]
            shared[number] = 0
            if uniform:
                product = number_weights[row_number] * number_weights[number]
                if size == k and _cannot_enter(heap_keys[0], product, n_shared, shrinkage):
                    continue
                similarity = 0.0
                for _ in range(n_shared):
                    similarity += product
            else:
                similarity = acc[number]
                acc[number] = 0.0
            if number == row_number or similarity <= 0.0 or n_shared < min_support:
                continue
            if shrinkage > 0.0:
                similarity *= n_shared / (n_shared + shrinkage)
            key = np.int64(np.floor(similarity * _SCALE + 0.5))
            if size == k and key < heap_keys[0]:
                continue
            other = labels[number]
            if size < k:
                heap_keys[size] = key
                heap_ids[size] = other
                heap_shared[size] = n_shared
                _sift_up(heap_keys, heap_ids, heap_shared, size)
                size += 1
            elif _worse(heap_keys[0], heap_ids[0], key, other):
                heap_keys[0] = key
                heap_ids[0] = other
                heap_shared[0] = n_shared
                _sift_down(heap_keys, heap_ids, heap_shared, size, 0)

        # Emit: pop the heap worst first into the row's slots, back to front.
        out = row - base
        for slot in range(size - 1, -1, -1):
            out_ids[out, slot] = heap_ids[0]
            out_similarities[out, slot] = heap_keys[0] / _SCALE
            out_shared[out, slot] = heap_shared[0]
            heap_keys[slot], heap_keys[0] = heap_keys[0], heap_keys[slot]
            heap_ids[slot], heap_ids[0] = heap_ids[0], heap_ids[slot]
            heap_shared[slot], heap_shared[0] = heap_shared[0], heap_shared[slot]
            _sift_down(heap_keys, heap_ids, heap_shared, slot, 0)

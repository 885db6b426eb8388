"""Anchors: the ``implicit`` library's recommenders run on the same split, for scale.

``implicit`` (0.7.x) is an optional extra, imported only here and only when an anchor runs;
without it the evaluation skips the anchors and says so. Each model is used as its
documentation shows: fitted on a users x artists matrix, asked for the top ``n`` of each
scored user with that user's row, known artists filtered out. Artists without any known
listener are filtered too, as the catalogue of every other method excludes them.

``cosine``
    ``CosineRecommender(K=k)`` on binary rows: the same model as our binary cosine with
    ``k`` neighbours, so the two should agree up to ties.
``bm25``
    ``BM25Recommender(K=k)`` (its default ``K1=1.2, B=0.75``) on play counts.
``als``
    ``AlternatingLeastSquares`` with its defaults (100 factors, 15 iterations) and a seeded
    start, on the rows weighted as asked (binary by default).
"""

from __future__ import annotations

import importlib.util
import logging
import warnings

import numpy as np
import scipy.sparse as sp

from recommender.weighting import apply_weighting

logger = logging.getLogger(__name__)

IMPLICIT_MODELS = ("cosine", "bm25", "als")
MISSING_NOTE = (
    "implicit is not installed, so its anchors were skipped; "
    "`pip install 'implicit>=0.7,<0.8'` adds them"
)


def implicit_available() -> bool:
    """Whether the ``implicit`` package can be imported."""
    return importlib.util.find_spec("implicit") is not None


def recommend_implicit(
    model_name: str,
    known: sp.csr_matrix,
    users: np.ndarray,
    n: int,
    *,
    k: int = 50,
    weighting: str = "binary",
    seed: int = 0,
) -> np.ndarray:
    """Top ``n`` artists for each scored user from one of implicit's models.

    Parameters
    ----------
    model_name : {"cosine", "bm25", "als"}
        Which model (see the module docstring).
    known : scipy.sparse.csr_matrix
        Users x artists known play counts, every user.
    users : np.ndarray
        Codes of the users to recommend for.
    n : int
        Recommendations per user.
    k : int
        Neighbours of the item-item models.
    weighting : str
        Weighting of the rows ALS learns from (see :mod:`recommender.weighting`).
    seed : int
        Seed of ALS's initial factors.

    Returns
    -------
    np.ndarray
        ``int32`` artist ids, shape (users, n), best first, -1 where fewer were returned.
    """
    if model_name not in IMPLICIT_MODELS:
        raise ValueError(f"model must be one of {IMPLICIT_MODELS}, got {model_name!r}")
    import threadpoolctl
    from implicit.utils import ParameterWarning

    unlistened = np.flatnonzero(np.diff(known.tocsc().indptr) == 0)
    # One BLAS thread, as implicit asks (it warns otherwise); its item-item models convert
    # a matrix internally and warn about it, which says nothing about our input.
    with threadpoolctl.threadpool_limits(1, "blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ParameterWarning)
        model, rows = _model(model_name, known, k, weighting, seed)
        model.fit(rows, show_progress=False)
        ids, scores = model.recommend(
            users,
            rows[users],
            N=n,
            filter_already_liked_items=True,
            filter_items=unlistened if unlistened.size else None,
        )
    ids = np.asarray(ids, dtype=np.int64)
    invalid = (ids < 0) | ~np.isfinite(scores)
    ranked = np.where(invalid, -1, ids).astype(np.int32)
    if ranked.shape[1] < n:
        ranked = np.pad(ranked, ((0, 0), (0, n - ranked.shape[1])), constant_values=-1)
    logger.info("implicit %s: recommended for %d users", model_name, len(users))
    return ranked


def _model(
    model_name: str, known: sp.csr_matrix, k: int, weighting: str, seed: int
) -> tuple[object, sp.csr_matrix]:
    """The unfitted model and the users x artists rows it learns from."""
    from implicit.cpu.als import AlternatingLeastSquares
    from implicit.nearest_neighbours import BM25Recommender, CosineRecommender

    if model_name == "cosine":
        return CosineRecommender(K=k), _csr32(apply_weighting(known, "binary"))
    if model_name == "bm25":
        return BM25Recommender(K=k), _csr32(known)
    # Weighting reads artists as rows (documents), so weight the transpose.
    rows = _csr32(apply_weighting(known.T.tocsr(), weighting).T)
    return AlternatingLeastSquares(random_state=seed), rows


def _csr32(matrix: sp.csr_matrix) -> sp.csr_matrix:
    return sp.csr_matrix(matrix, dtype=np.float32)

"""Similar-artist recommendations from listening data: item-based collaborative filtering."""

from __future__ import annotations

__version__ = "0.1.0"

from recommender.errors import ModelError, QueryError, RecommenderError  # noqa: E402
from recommender.facade import Recommender  # noqa: E402

__all__ = ["ModelError", "QueryError", "Recommender", "RecommenderError", "__version__"]

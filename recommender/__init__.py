"""Similar-artist recommendations from listening data: item-based collaborative filtering."""

from __future__ import annotations

__version__ = "0.1.0"

"""Readers: one per dataset format, all returning a :class:`~recommender.table.ListeningTable`."""

from __future__ import annotations

from recommender.readers.hetrec2011 import read_hetrec2011
from recommender.readers.lastfm360k import read_lastfm360k
from recommender.readers.plays import read_plays

FORMATS = ("lastfm360k", "hetrec2011", "plays")

__all__ = ["FORMATS", "read_hetrec2011", "read_lastfm360k", "read_plays"]

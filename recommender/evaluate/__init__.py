"""Offline evaluation of the similar-artists recommender.

Each user's listening is split into known and held-out artists; every method recommends from
the known part and is scored on the held-out part (HR, nDCG, MAP, recall, coverage,
popularity), with confidence intervals over users. Run it as ``python -m recommender.evaluate``
or call :func:`evaluate`. Nothing in the library depends on this package.
"""

from __future__ import annotations

from recommender.evaluate.experiment import EvaluationOptions, evaluate, load_table
from recommender.evaluate.methods import PROPOSED, REFERENCE, Method, standard_methods
from recommender.evaluate.report import Evaluation, format_markdown, format_text, plot
from recommender.evaluate.split import Split, split_listening, user_artist_plays

__all__ = [
    "PROPOSED",
    "REFERENCE",
    "Evaluation",
    "EvaluationOptions",
    "Method",
    "Split",
    "evaluate",
    "format_markdown",
    "format_text",
    "load_table",
    "plot",
    "split_listening",
    "standard_methods",
    "user_artist_plays",
]

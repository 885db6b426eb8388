"""The command logic, as plain functions: validate options, ask the facade, render.

The Discord commands and the console both call these, so both answer the same way. Each
function is synchronous and may take a few milliseconds (fuzzy matching, neighbours beyond the
precomputed table): the bot runs them in a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot import markup
from bot.markup import Markup
from bot.render import (
    Choice,
    Message,
    about_message,
    autocomplete_choices,
    discover_message,
    discoveries_message,
    matches_message,
    neighbors_message,
    similar_message,
)
from recommender.errors import QueryError
from recommender.facade import Recommender

#: The ``k`` option of ``/similar``: Discord validates the same range (``Range[int, 1, 25]``).
K_MIN, K_MAX, K_DEFAULT = 1, 25, 10
#: Name candidates listed by ``/matches``.
MATCHES_LIMIT = 10
#: Longest artist query accepted (Discord's option allows the same).
QUERY_MAX = 100


@dataclass(frozen=True)
class Answer:
    """A rendered reply, with the resolved artist for the log line (None if unresolved)."""

    message: Message
    artist: str | None = None


def check_k(k: int) -> int:
    """``k`` if it is a whole number from 1 to 25, else a ``QueryError`` saying so."""
    if isinstance(k, bool) or not isinstance(k, int) or not K_MIN <= k <= K_MAX:
        raise QueryError(f"k must be a whole number from {K_MIN} to {K_MAX}, got {k!r}.")
    return k


def check_query(query: str) -> str:
    """The artist text, stripped, if it is 1 to 100 characters long."""
    query = markup.one_line(query)
    if not query:
        raise QueryError("Type an artist name (or part of one).")
    if len(query) > QUERY_MAX:
        raise QueryError(f"An artist name is at most {QUERY_MAX} characters, got {len(query)}.")
    return query


def check_artist_id(recommender: Recommender, artist_id: int, command: str) -> int:
    """``artist_id`` if the loaded model has it (a button may outlive a reload), else a
    ``QueryError`` telling the user to run ``command`` again."""
    if not 0 <= artist_id < recommender.n_artists:
        raise QueryError(f"Artist {artist_id} is not in the current model; run {command} again.")
    return artist_id


def similar(
    recommender: Recommender, query: str, k: int = K_DEFAULT, style: Markup = markup.DISCORD
) -> Answer:
    """``/similar``: the ``k`` artists most like the one ``query`` names."""
    query, k = check_query(query), check_k(k)
    result = recommender.similar(query, k)
    return Answer(similar_message(result, k, style), result.artist)


def choose(
    recommender: Recommender, artist_id: int, k: int, style: Markup = markup.DISCORD
) -> Answer:
    """A "did you mean" choice: the ``k`` neighbours of the artist picked by id."""
    k, artist_id = check_k(k), check_artist_id(recommender, artist_id, "/similar")
    artist = recommender.artist_name(artist_id)
    neighbors = recommender.neighbors(artist_id, k)
    tags = recommender.tags(artist_id)
    return Answer(neighbors_message(artist, neighbors, style, tags=tags), artist)


def discover(
    recommender: Recommender, query: str, k: int = K_DEFAULT, style: Markup = markup.DISCORD
) -> Answer:
    """``/discover``: ``k`` artists like the one ``query`` names that fewer people know."""
    query, k = check_query(query), check_k(k)
    result = recommender.discover(query, k)
    return Answer(discover_message(result, k, style), result.artist)


def choose_discoveries(
    recommender: Recommender, artist_id: int, k: int, style: Markup = markup.DISCORD
) -> Answer:
    """A "did you mean" choice under ``/discover``: the picked artist's discoveries."""
    k, artist_id = check_k(k), check_artist_id(recommender, artist_id, "/discover")
    result = recommender.discoveries(artist_id, k)
    artist = recommender.artist_name(artist_id)
    return Answer(discoveries_message(artist, result, style), artist)


def matches(recommender: Recommender, query: str, style: Markup = markup.DISCORD) -> Answer:
    """``/matches``: artist names close to ``query`` with their scores."""
    query = check_query(query)
    candidates = recommender.matches(query, MATCHES_LIMIT)
    best = candidates[0].artist if candidates else None
    return Answer(matches_message(query, candidates, style), best)


def about(recommender: Recommender, style: Markup = markup.DISCORD) -> Answer:
    """``/about``: what the model was built from."""
    return Answer(about_message(recommender.about(), style))


def complete(recommender: Recommender, current: str) -> list[Choice]:
    """Autocomplete for an artist option: up to 25 names for what has been typed so far."""
    prefix = markup.one_line(current)[:QUERY_MAX]
    return autocomplete_choices(recommender.complete(prefix, markup.CHOICES))

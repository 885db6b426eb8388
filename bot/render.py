"""Pure rendering: recommender results in, a neutral message out.

A :class:`Message` is what the bot and the console both show: a title, a description, fields,
a footer and buttons. ``bot.embeds`` turns it into a ``discord.Embed`` and buttons;
``bot.console`` prints it as text. Nothing here imports discord or does I/O, and every text is
fitted to Discord's limits here, once (see ``bot.markup``), whatever the names in the data.

Adding a result type (as ``/discover`` was) takes one function here that returns a
``Message`` (reusing :func:`ranked_lines` and :class:`ShowSimilar` buttons where they fit),
and one in ``bot.answers`` that calls the facade.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePath

from bot import markup
from bot.markup import Markup
from recommender.results import (
    Candidate,
    DiscoverResult,
    MatchStatus,
    ModelInfo,
    Neighbor,
    SimilarResult,
)

#: Longest name shown in a list before the whole list is shrunk to fit its limit.
NAME_LIMIT = 100
#: Names are never shrunk below this many characters to make a list fit.
MIN_NAME_LIMIT = 12
#: Cells in the closeness bar.
BAR_WIDTH = 10
#: Other candidates shown next to a fuzzy match.
FUZZY_ALTERNATIVES = 3
#: Tags shown under an artist's name.
TAGS_SHOWN = 5


class Tone(StrEnum):
    """What kind of answer a message is; the bot picks an embed colour from it."""

    RESULT = "result"
    CHOICE = "choice"
    INFO = "info"
    NOTICE = "notice"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class ShowSimilar:
    """A button's action: show the ``k`` artists most similar to ``artist_id``."""

    artist_id: int
    k: int


@dataclass(frozen=True, slots=True)
class ShowDiscoveries:
    """A button's action: show ``k`` less-known artists like ``artist_id``."""

    artist_id: int
    k: int


Action = ShowSimilar | ShowDiscoveries


@dataclass(frozen=True, slots=True)
class Button:
    """A button: a plain label (never markdown) and what pressing it does."""

    label: str
    action: Action


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True, slots=True)
class Message:
    """A neutral message: the same for Discord and the console.

    ``ephemeral`` asks Discord to show the reply to the asking user only (errors, notices).
    """

    title: str
    description: str = ""
    fields: tuple[Field, ...] = ()
    footer: str = ""
    buttons: tuple[Button, ...] = ()
    tone: Tone = Tone.RESULT
    ephemeral: bool = False

    @property
    def size(self) -> int:
        """Characters counted against Discord's 6,000-character embed total."""
        fields = sum(len(f.name) + len(f.value) for f in self.fields)
        return len(self.title) + len(self.description) + fields + len(self.footer)


def closeness_bar(distance: float, width: int = BAR_WIDTH) -> str:
    """A bar filled in proportion to ``1 - distance`` (full: same listeners; empty: none)."""
    closeness = min(max(1.0 - distance, 0.0), 1.0)
    filled = round(closeness * width)
    return "█" * filled + "░" * (width - filled)


def format_distance(distance: float) -> str:
    """Three decimals, never ``-0.000`` (float rounding can dip just below zero)."""
    return f"{max(distance, 0.0):.3f}"


def ranked_lines(count: int, line: Callable[[int, int], str], budget: int, header: str = "") -> str:
    """Join ``line(index, name_limit)`` for ``count`` items, shrinking names to fit ``budget``.

    Names start at :data:`NAME_LIMIT` characters and shrink together until the text (with
    ``header`` and a blank line before the list) fits; if even the shortest names do not
    fit, trailing items are dropped.
    """
    prefix = f"{header}\n\n" if header else ""
    limit = NAME_LIMIT
    while True:
        lines = [line(i, limit) for i in range(count)]
        text = prefix + "\n".join(lines)
        if len(text) <= budget or limit == MIN_NAME_LIMIT:
            break
        limit = max(MIN_NAME_LIMIT, min(limit - 1, limit * budget // len(text)))
    while len(text) > budget and lines:
        lines.pop()
        text = prefix + "\n".join(lines)
    return text[:budget]


def similar_message(result: SimilarResult, k: int, style: Markup = markup.DISCORD) -> Message:
    """The answer to ``/similar``: neighbours, "did you mean" buttons, or a kind "not found".

    Parameters
    ----------
    result : SimilarResult
        From ``Recommender.similar`` (or a chosen artist's neighbours).
    k : int
        The ``k`` asked for; buttons keep it for the chosen artist.
    style : Markup
        Discord markdown or plain text.
    """
    resolution = result.resolution
    if resolution.status is MatchStatus.NONE:
        return not_found_message(result.query, style)
    if resolution.status is MatchStatus.AMBIGUOUS:
        return did_you_mean_message(result.query, result.candidates, k, style)

    assert resolution.artist is not None
    header = ""
    if resolution.status is MatchStatus.FUZZY:
        header = fuzzy_header(result.query, resolution.artist, result.candidates[1:], style)
    return neighbors_message(
        resolution.artist, result.neighbors, style, header=header, tags=result.tags
    )


def tags_fields(tags: Sequence[str], style: Markup = markup.DISCORD) -> tuple[Field, ...]:
    """An artist's top tags as one field (none when the data has no tags)."""
    shown = " · ".join(style.name(tag, 40) for tag in tags[:TAGS_SHOWN])
    return (Field("Tags", markup.cut(shown, markup.FIELD_VALUE)),) if shown else ()


def _budget(title: str, footer: str, fields: tuple[Field, ...]) -> int:
    """Characters left for the description once title, footer and fields are counted."""
    used = len(title) + len(footer) + sum(len(f.name) + len(f.value) for f in fields)
    return min(markup.EMBED_DESCRIPTION, markup.EMBED_TOTAL - used)


def neighbors_message(
    artist: str,
    neighbors: Sequence[Neighbor],
    style: Markup = markup.DISCORD,
    header: str = "",
    tags: Sequence[str] = (),
) -> Message:
    """Ranked neighbours of one artist, each with its distance and a closeness bar.

    ``tags`` (the artist's top tags) are shown in a field; neighbours found by tags (an
    artist with too few listeners) say so in the footer.
    """
    title = f"Artists like {style.name(artist, markup.EMBED_TITLE - 13)}"
    footer = "Distance is cosine distance: 0 = the same listeners, 1 = none in common."
    if neighbors and neighbors[0].evidence == "tags":
        footer = (
            "Too few listeners to compare listening, so these share its tags. Distance is "
            "tag cosine distance: 0 = the same tags, 1 = none in common."
        )
    fields = tags_fields(tags, style)
    if not neighbors:
        description = (header + "\n\n" if header else "") + (
            f"No other artist shares a listener with {style.bold(style.name(artist, NAME_LIMIT))}"
            " in this model, so there is nothing to rank."
        )
        return Message(title, description, fields, tone=Tone.NOTICE)

    def line(i: int, limit: int) -> str:
        neighbor = neighbors[i]
        cue = f"{i + 1:>2}. {closeness_bar(neighbor.distance)} {format_distance(neighbor.distance)}"
        return f"{style.code(cue)} {style.bold(style.name(neighbor.artist, limit))}"

    description = ranked_lines(len(neighbors), line, _budget(title, footer, fields), header)
    return Message(title, description, fields, footer=footer)


def discover_message(result: DiscoverResult, k: int, style: Markup = markup.DISCORD) -> Message:
    """The answer to ``/discover``: less-known artists like the one asked for.

    Each is listed with its listeners and its similarity to the artist; "did you mean"
    buttons show the chosen artist's discoveries.
    """
    resolution = result.resolution
    if resolution.status is MatchStatus.NONE:
        return not_found_message(result.query, style)
    if resolution.status is MatchStatus.AMBIGUOUS:
        return did_you_mean_message(result.query, result.candidates, k, style, ShowDiscoveries)

    assert resolution.artist is not None
    header = ""
    if resolution.status is MatchStatus.FUZZY:
        header = fuzzy_header(result.query, resolution.artist, result.candidates[1:], style)
    return discoveries_message(resolution.artist, result, style, header)


def discoveries_message(
    artist: str, result: DiscoverResult, style: Markup = markup.DISCORD, header: str = ""
) -> Message:
    """Ranked discoveries of one artist, each with its listeners and similarity."""
    title = f"Less known than {style.name(artist, markup.EMBED_TITLE - 16)}"
    if result.more_popular:
        title = f"Discoveries like {style.name(artist, markup.EMBED_TITLE - 17)}"
    who = f"{markup.cut(artist, 60)} ({artist_listeners(result.listeners)})"
    scope = f"Fewer listeners than {who}."
    if result.more_popular:
        scope = f"Any number of listeners, next to {who}."
    footer = (
        f"{scope} Shown: similarity (1 = the same listeners) and listeners; ranked by "
        f"similarity × (its listeners ÷ theirs) ^ {result.novelty:g}."
    )
    fields = tags_fields(result.tags, style)
    found = result.discoveries
    if not found:
        description = (header + "\n\n" if header else "") + (
            f"No less-known artist shares enough listeners with "
            f"{style.bold(style.name(artist, NAME_LIMIT))} to recommend."
        )
        return Message(title, description, fields, footer=footer, tone=Tone.NOTICE)

    def line(i: int, limit: int) -> str:
        item = found[i]
        cue = f"{i + 1:>2}. {closeness_bar(item.distance)} {1.0 - item.distance:.3f}"
        name = style.bold(style.name(item.artist, limit))
        return f"{style.code(cue)} {name} · {artist_listeners(item.listeners)}"

    description = ranked_lines(len(found), line, _budget(title, footer, fields), header)
    return Message(title, description, fields, footer=footer)


def artist_listeners(count: int) -> str:
    """``1 listener``, ``2,345 listeners``."""
    return f"{count:,} listener{'s' if count != 1 else ''}"


def fuzzy_header(
    query: str, artist: str, others: Sequence[Candidate], style: Markup = markup.DISCORD
) -> str:
    """One line saying what a loosely typed query was taken to mean, and what else is close."""
    text = (
        f"Showing {style.bold(style.name(artist, NAME_LIMIT))} for "
        f"“{style.name(query, NAME_LIMIT)}”."
    )
    if others:
        names = ", ".join(style.name(c.artist, 40) for c in others[:FUZZY_ALTERNATIVES])
        text += f" Also close: {names}."
    return text


def did_you_mean_message(
    query: str,
    candidates: Sequence[Candidate],
    k: int,
    style: Markup = markup.DISCORD,
    action: type[ShowSimilar] | type[ShowDiscoveries] = ShowSimilar,
) -> Message:
    """ "Did you mean": the candidates listed, and one button each to show its neighbours.

    ``action`` is what a button shows for its candidate: neighbours, or discoveries.
    """
    shown = list(candidates[: markup.BUTTONS_PER_ROW * markup.ACTION_ROWS])
    header = f"“{style.name(query, NAME_LIMIT)}” could be more than one artist. Pick one:"

    def line(i: int, limit: int) -> str:
        candidate = shown[i]
        listeners = f"{candidate.listeners:,} listener{'s' if candidate.listeners != 1 else ''}"
        return f"{i + 1}. {style.bold(style.name(candidate.artist, limit))} · {listeners}"

    description = ranked_lines(len(shown), line, markup.EMBED_DESCRIPTION, header)
    buttons = tuple(
        Button(markup.cut(c.artist, markup.BUTTON_LABEL), action(c.artist_id, k)) for c in shown
    )
    return Message("Did you mean…?", description, buttons=buttons, tone=Tone.CHOICE)


def not_found_message(query: str, style: Markup = markup.DISCORD) -> Message:
    """A kind "nothing matches", pointing at ``/matches``."""
    return Message(
        "No artist found",
        f"I couldn't find an artist called “{style.name(query, NAME_LIMIT)}”. Try "
        f"{style.code('/matches')} with part of the name to see the names I know.",
        tone=Tone.NOTICE,
        ephemeral=True,
    )


def matches_message(
    query: str, candidates: Sequence[Candidate], style: Markup = markup.DISCORD
) -> Message:
    """The answer to ``/matches``: name candidates with their match scores (0 to 100)."""
    shown_query = style.name(query, markup.EMBED_TITLE - 20)
    if not candidates:
        return Message(
            "No close names",
            f"No artist name is close to “{shown_query}”. Try a shorter part of the name.",
            tone=Tone.NOTICE,
            ephemeral=True,
        )

    title = f"Names close to “{shown_query}”"
    footer = "Score: 100 = the same name once case and punctuation are ignored."

    def line(i: int, limit: int) -> str:
        candidate = candidates[i]
        listeners = f"{candidate.listeners:,} listener{'s' if candidate.listeners != 1 else ''}"
        score = style.code(f"{candidate.score:5.1f}")
        return f"{score} {style.bold(style.name(candidate.artist, limit))} · {listeners}"

    budget = min(markup.EMBED_DESCRIPTION, markup.EMBED_TOTAL - len(title) - len(footer))
    description = ranked_lines(len(candidates), line, budget)
    return Message(title, description, footer=footer, tone=Tone.INFO)


def about_message(info: ModelInfo, style: Markup = markup.DISCORD) -> Message:
    """The answer to ``/about``: what the model was built from."""
    parameters = info.parameters
    countries = [style.name(str(c), 60) for c in parameters.get("countries") or []]
    filters = [
        f"at least {parameters.get('min_artist_plays', 0):,} plays per artist",
        "countries: " + (", ".join(countries) if countries else "all"),
        f"weighting: {style.name(str(parameters.get('weighting', 'unknown')), 40)}",
    ]
    # A local path says nothing to Discord users and exposes the host's layout: keep the name.
    source = style.name(PurePath(info.source).name or info.source, 200)
    values = [
        ("Dataset", f"{source} ({style.name(info.source_format, 40)})"),
        ("Filters", "; ".join(filters)),
        ("Artists", f"{info.n_artists:,}"),
        ("Users", f"{info.n_users:,}"),
        ("Listening pairs", f"{info.nnz:,}"),
        ("Neighbours kept", f"{info.n_neighbors:,} per artist"),
        *_support_values(parameters),
        *_merge_values(info.counts),
        ("Built", style.name(info.built_at.replace("T", " "), 60)),
        ("Version", f"model format {info.format_version}, package {info.package_version}"),
    ]
    fields = tuple(
        Field(name, markup.cut(value, markup.FIELD_VALUE), inline=len(value) <= 30)
        for name, value in values
    )
    return Message("About this model", fields=fields, tone=Tone.INFO)


def _support_values(parameters: dict) -> list[tuple[str, str]]:
    """The support options, when the build used any (see ``recommender.support``)."""
    min_support = int(parameters.get("min_support", 1) or 1)
    shrinkage = float(parameters.get("shrinkage", 0) or 0)
    if min_support <= 1 and shrinkage <= 0:
        return []
    return [("Support", f"at least {min_support:,} shared listeners; shrinkage {shrinkage:g}")]


def _merge_values(counts: dict) -> list[tuple[str, str]]:
    """How many spellings were folded into other artists, when any were."""
    folded = int(counts.get("names_merged", 0) or 0)
    return [("Spellings folded", f"{folded:,}")] if folded else []


def notice_message(title: str, text: str, tone: Tone = Tone.NOTICE) -> Message:
    """A short ephemeral reply (errors, cooldowns); ``text`` is ours, not from the data."""
    return Message(
        markup.cut(title, markup.EMBED_TITLE),
        markup.cut(text, markup.EMBED_DESCRIPTION),
        tone=tone,
        ephemeral=True,
    )


@dataclass(frozen=True, slots=True)
class Choice:
    """One autocomplete choice: ``name`` is shown, ``value`` is what the option receives."""

    name: str
    value: str


def autocomplete_choices(names: Sequence[str]) -> list[Choice]:
    """Autocomplete choices for artist names: at most 25, each fitted to 100 characters."""
    choices: list[Choice] = []
    seen: set[str] = set()
    for name in names:
        value = markup.cut(name, markup.CHOICE_VALUE)
        if not value or value in seen:
            continue
        seen.add(value)
        choices.append(Choice(markup.cut(name, markup.CHOICE_NAME), value))
        if len(choices) == markup.CHOICES:
            break
    return choices

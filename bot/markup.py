"""Discord's size limits, and text helpers that keep names from the data inside them.

Artist names come from listening data, so they may hold anything: markdown (``**``, ``_``),
mentions (``@everyone``, ``<@&123>``), links, newlines, or hundreds of characters. Two kinds of
text reach Discord:

- markdown text (embed titles, descriptions, field values), where a name is escaped so that it
  shows literally, and cut so the whole text fits its limit;
- plain labels (button labels, select options, autocomplete choices), which Discord never
  renders as markdown: they are only cut.

:class:`Markup` bundles the markdown-side helpers so one renderer can write both Discord
markdown (:data:`DISCORD`) and console text (:data:`PLAIN`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Embed limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits)
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
EMBED_FOOTER = 2048
EMBED_TOTAL = 6000

# Component and autocomplete limits
CUSTOM_ID = 100
BUTTON_LABEL = 80
SELECT_OPTION_LABEL = 100
BUTTONS_PER_ROW = 5
ACTION_ROWS = 5
CHOICES = 25
CHOICE_NAME = 100
CHOICE_VALUE = 100

ELLIPSIS = "…"

# Discord treats a backslash before any ASCII punctuation as an escape, so escaping more than
# the strictly needed characters is safe. These cover emphasis, code, spoilers, quotes,
# headings, lists, masked links, mentions (``<@…>``, ``@everyone``) and ``scheme:`` autolinks.
_SPECIAL = re.compile(r"([\\*_~`|>#\-\[\]()<@:])")
_SPACE = re.compile(r"\s+")


def one_line(text: str) -> str:
    """Collapse runs of whitespace (newlines, tabs) into single spaces and strip the ends."""
    return _SPACE.sub(" ", text).strip()


def cut(text: str, limit: int) -> str:
    """``text`` on one line, ending in an ellipsis if it had to be shortened to ``limit``."""
    text = one_line(text)
    if len(text) <= limit:
        return text
    return text[: max(limit - len(ELLIPSIS), 0)].rstrip() + ELLIPSIS


def escape(text: str) -> str:
    """Backslash-escape every character Discord could read as markdown or a mention."""
    return _SPECIAL.sub(r"\\\1", text)


def escape_cut(text: str, limit: int) -> str:
    """Escape ``text`` and shorten it first as needed, so the escaped result fits ``limit``.

    The text is cut before escaping, never after, so an escape is never split in half.
    """
    text = one_line(text)
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    low, high = 0, len(text)  # the longest prefix whose escaped, ellipsised form fits
    while low < high:
        middle = (low + high + 1) // 2
        if len(escape(text[:middle].rstrip())) + len(ELLIPSIS) <= limit:
            low = middle
        else:
            high = middle - 1
    return escape(text[:low].rstrip()) + ELLIPSIS if limit >= len(ELLIPSIS) else ""


@dataclass(frozen=True)
class Markup:
    """How the renderer writes emphasis and names: Discord markdown or plain text.

    Attributes
    ----------
    escapes : bool
        Whether names are escaped (Discord) or shown as they are (console).
    """

    escapes: bool

    def name(self, text: str, limit: int) -> str:
        """A name from the data, on one line, made literal and fitted to ``limit`` characters."""
        return escape_cut(text, limit) if self.escapes else cut(text, limit)

    def bold(self, text: str) -> str:
        return f"**{text}**" if self.escapes else text

    def code(self, text: str) -> str:
        """Inline code; ``text`` must not come from the data (backticks cannot be escaped)."""
        return f"`{text}`" if self.escapes else text


DISCORD = Markup(escapes=True)
PLAIN = Markup(escapes=False)

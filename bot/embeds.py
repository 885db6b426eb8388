"""Neutral messages to Discord objects: embeds, and the custom ids of "did you mean" buttons.

The texts were fitted to Discord's limits by ``bot.render``; this module only maps them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import discord

from bot import markup
from bot.render import Action, Message, ShowDiscoveries, ShowSimilar, Tone

COLOURS = {
    Tone.RESULT: discord.Colour.from_rgb(29, 185, 84),
    Tone.CHOICE: discord.Colour.from_rgb(88, 101, 242),
    Tone.INFO: discord.Colour.from_rgb(114, 137, 218),
    Tone.NOTICE: discord.Colour.from_rgb(250, 166, 26),
    Tone.ERROR: discord.Colour.from_rgb(237, 66, 69),
}

#: ``<command>:<model fingerprint>:<artist id>:<k>:<user id of the asker>``, where the
#: command (``similar`` or ``discover``) is what the button shows for the chosen artist.
CHOICE_TEMPLATE = re.compile(
    r"(?P<command>similar|discover):(?P<model>[0-9a-f]{8}):(?P<artist_id>\d{1,10}):"
    r"(?P<k>\d{1,2}):(?P<owner>\d{1,20})"
)
#: The command each button action runs.
COMMANDS: dict[type, str] = {ShowSimilar: "similar", ShowDiscoveries: "discover"}


def to_embed(message: Message) -> discord.Embed:
    """The embed showing ``message`` (buttons are added separately as a view)."""
    embed = discord.Embed(
        title=message.title,
        description=message.description or None,
        colour=COLOURS[message.tone],
    )
    for field in message.fields[: markup.EMBED_FIELDS]:
        embed.add_field(name=field.name, value=field.value, inline=field.inline)
    if message.footer:
        embed.set_footer(text=message.footer)
    return embed


@dataclass(frozen=True)
class ChoiceId:
    """What a "did you mean" button carries in its custom id.

    ``model`` is the fingerprint of the model whose artist ids the button uses, so a click
    after a model reload cannot show another artist; ``owner`` is the user who asked;
    ``command`` is what the click shows (``similar`` or ``discover``).
    """

    model: str
    artist_id: int
    k: int
    owner: int
    command: str = "similar"

    def encode(self) -> str:
        custom_id = f"{self.command}:{self.model}:{self.artist_id}:{self.k}:{self.owner}"
        if len(custom_id) > markup.CUSTOM_ID or not CHOICE_TEMPLATE.fullmatch(custom_id):
            raise ValueError(f"custom id {custom_id!r} does not fit the template")
        return custom_id

    @classmethod
    def from_match(cls, match: re.Match[str]) -> ChoiceId:
        numbers = int(match["artist_id"]), int(match["k"]), int(match["owner"])
        return cls(match["model"], *numbers, match["command"])

    @classmethod
    def for_action(cls, action: Action, model: str, owner: int) -> ChoiceId:
        return cls(model, action.artist_id, action.k, owner, COMMANDS[type(action)])


def send_kwargs(message: Message, view: discord.ui.View | None = None) -> dict[str, Any]:
    """Keyword arguments for ``send_message``/``followup.send``: embed, view, no mentions."""
    kwargs: dict[str, Any] = {
        "embed": to_embed(message),
        "ephemeral": message.ephemeral,
        "allowed_mentions": discord.AllowedMentions.none(),
    }
    if view is not None:
        kwargs["view"] = view
    return kwargs


def edit_kwargs(message: Message, view: discord.ui.View | None = None) -> dict[str, Any]:
    """Keyword arguments for editing a message in place; no view removes the buttons."""
    return {
        "embed": to_embed(message),
        "view": view,
        "allowed_mentions": discord.AllowedMentions.none(),
    }

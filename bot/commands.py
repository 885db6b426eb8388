"""The slash commands, their autocomplete, and the "did you mean" buttons.

Each handler reads the model being served once (so a reload mid-request changes nothing for
it), runs the plain function from ``bot.answers`` in a worker thread, and replies. Work that
is still running after :data:`DEFER_AFTER` seconds is deferred first, so Discord's 3-second
deadline holds even under load. Failures go to ``bot.errors.report``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot import answers, embeds, errors
from bot.answers import Answer
from bot.embeds import ChoiceId
from bot.render import Message, notice_message

if TYPE_CHECKING:
    from bot.client import ArtistBot
    from bot.reload import LoadedModel

logger = logging.getLogger(__name__)

#: Seconds of work after which the reply is deferred (Discord allows 3 for the first reply).
DEFER_AFTER = 1.5
#: Seconds an autocomplete may take before it answers with no choices (it cannot defer).
AUTOCOMPLETE_BUDGET = 2.0

ARTIST_HELP = "An artist name; typos are fine"
Artist = app_commands.Range[str, 1, answers.QUERY_MAX]
K = app_commands.Range[int, answers.K_MIN, answers.K_MAX]


def _bot(interaction: discord.Interaction) -> ArtistBot:
    return interaction.client  # type: ignore[return-value]


def _cooldown(interaction: discord.Interaction) -> bool:
    return _bot(interaction).cooldowns.check(interaction)


def view_for(message: Message, model: str, owner: int) -> discord.ui.View | None:
    """The buttons of ``message`` as a view, or None when it has none."""
    if not message.buttons:
        return None
    view = discord.ui.View(timeout=None)
    for button in message.buttons:
        view.add_item(ChoiceButton(ChoiceId.for_action(button.action, model, owner), button.label))
    return view


async def run_answer(
    interaction: discord.Interaction, work: Callable[[], Answer], *, edit: bool = False
) -> Answer:
    """Run ``work`` in a thread; defer the reply if it takes longer than ``DEFER_AFTER``."""
    task = asyncio.ensure_future(asyncio.to_thread(work))
    try:
        return await asyncio.wait_for(asyncio.shield(task), DEFER_AFTER)
    except TimeoutError:
        if edit:
            await interaction.response.defer()
        else:
            await interaction.response.defer(thinking=True)
        return await task


async def deliver(
    interaction: discord.Interaction, message: Message, model: str, *, edit: bool = False
) -> None:
    """Send ``message`` as the reply (or edit the clicked message in place when ``edit``)."""
    view = view_for(message, model, interaction.user.id)
    if edit:
        kwargs = embeds.edit_kwargs(message, view)
        if interaction.response.is_done():
            await interaction.edit_original_response(**kwargs)
        else:
            await interaction.response.edit_message(**kwargs)
        return
    kwargs = embeds.send_kwargs(message, view)
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)


async def answer_command(
    interaction: discord.Interaction,
    command: str,
    work: Callable[[LoadedModel], Answer],
    query: str | None = None,
    *,
    edit: bool = False,
    private: bool = False,
) -> None:
    """Answer one command on the model served right now, and log one line about it.

    ``edit`` replaces the clicked message; ``private`` makes the reply ephemeral.
    """
    started = time.perf_counter()
    loaded = _bot(interaction).holder.current
    answer = await run_answer(interaction, lambda: work(loaded), edit=edit)
    message = replace(answer.message, ephemeral=True) if private else answer.message
    await deliver(interaction, message, loaded.fingerprint, edit=edit)
    logger.info(
        "%s query=%r artist=%r %.0f ms",
        command,
        query,
        answer.artist,
        (time.perf_counter() - started) * 1000,
    )


async def complete_artist(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Autocomplete for every ``artist`` option: up to 25 names, answered well within 3 s."""
    recommender = _bot(interaction).holder.current.recommender
    try:
        choices = await asyncio.wait_for(
            asyncio.to_thread(answers.complete, recommender, current), AUTOCOMPLETE_BUDGET
        )
    except TimeoutError:
        logger.warning(
            "autocomplete for %r took over %.1f s; no choices", current, AUTOCOMPLETE_BUDGET
        )
        return []
    return [app_commands.Choice(name=c.name, value=c.value) for c in choices]


@app_commands.command(name="similar")
@app_commands.describe(
    artist=ARTIST_HELP, k=f"How many similar artists to list (default {answers.K_DEFAULT})"
)
@app_commands.autocomplete(artist=complete_artist)
@app_commands.check(_cooldown)
async def similar(
    interaction: discord.Interaction, artist: Artist, k: K = answers.K_DEFAULT
) -> None:
    """Show the artists most similar to one you like."""
    await answer_command(
        interaction, "/similar", lambda m: answers.similar(m.recommender, artist, k), artist
    )


@app_commands.command(name="discover")
@app_commands.describe(
    artist=ARTIST_HELP,
    k=f"How many less-known artists to list (default {answers.K_DEFAULT})",
)
@app_commands.autocomplete(artist=complete_artist)
@app_commands.check(_cooldown)
async def discover(
    interaction: discord.Interaction, artist: Artist, k: K = answers.K_DEFAULT
) -> None:
    """Show artists like one you name that fewer people listen to."""
    await answer_command(
        interaction, "/discover", lambda m: answers.discover(m.recommender, artist, k), artist
    )


@app_commands.command(name="matches")
@app_commands.describe(artist="An artist name, or part of one")
@app_commands.autocomplete(artist=complete_artist)
@app_commands.check(_cooldown)
async def matches(interaction: discord.Interaction, artist: Artist) -> None:
    """List the artist names closest to what you type, with match scores."""
    await answer_command(
        interaction, "/matches", lambda m: answers.matches(m.recommender, artist), artist
    )


@app_commands.command(name="about")
@app_commands.check(_cooldown)
async def about(interaction: discord.Interaction) -> None:
    """Tell what data the recommendations were built from."""
    await answer_command(interaction, "/about", lambda m: answers.about(m.recommender))


class ChoiceButton(discord.ui.DynamicItem[discord.ui.Button], template=embeds.CHOICE_TEMPLATE):
    """A "did you mean" candidate: a click shows that artist's neighbours (or discoveries).

    The custom id holds everything needed (see ``embeds.ChoiceId``), so the buttons keep
    working after a restart. Another user's click gets the answer privately instead of
    changing the asker's message.
    """

    def __init__(self, choice: ChoiceId, label: str | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=label, style=discord.ButtonStyle.secondary, custom_id=choice.encode()
            )
        )
        self.choice = choice

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ChoiceButton:
        return cls(ChoiceId.from_match(match))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await self._choose(interaction)
        except Exception as exc:  # one error hook for commands and buttons alike
            await errors.report(interaction, exc)

    async def _choose(self, interaction: discord.Interaction) -> None:
        choice = self.choice
        loaded = _bot(interaction).holder.current
        if choice.model != loaded.fingerprint:
            await errors.send_notice(
                interaction,
                notice_message(
                    "The model was updated",
                    f"These choices came from the previous model. Run /{choice.command} again.",
                ),
            )
            return
        owner = interaction.user.id == choice.owner
        choose = answers.choose_discoveries if choice.command == "discover" else answers.choose
        await answer_command(
            interaction,
            "choose",
            lambda m: choose(m.recommender, choice.artist_id, choice.k),
            edit=owner,
            private=not owner,
        )


def register(tree: app_commands.CommandTree) -> None:
    """Add the commands to ``tree`` (the client adds ``ChoiceButton`` as a dynamic item)."""
    for command in (similar, discover, matches, about):
        tree.add_command(command)

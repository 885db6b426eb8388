"""The bot's one error hook, and the per-user cooldown it reports on.

Every failure of a slash command or a button ends in :func:`report`. Expected ones (bad
options, cooldowns, failed checks, a model problem) become a friendly ephemeral reply;
anything else is logged with its traceback and the user gets a short apology. Nothing here
re-raises, so one failed interaction never stops the bot.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

import discord
from discord import app_commands

from bot import embeds
from bot.render import Message, Tone, notice_message
from recommender.errors import ModelError, RecommenderError

logger = logging.getLogger(__name__)

#: Commands one user may run per window, and the window in seconds.
COOLDOWN_RATE = 5
COOLDOWN_SECONDS = 15.0
#: Users remembered before idle ones are forgotten.
_PRUNE_AT = 4096


class UserCooldowns:
    """A token bucket per user, shared by all commands (spamming one or many costs the same).

    Parameters
    ----------
    rate, per : int, float
        ``rate`` commands per ``per`` seconds.
    clock : callable
        Seconds, monotonic (tests pass their own).
    """

    def __init__(
        self,
        rate: int = COOLDOWN_RATE,
        per: float = COOLDOWN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.per = per
        self.clock = clock
        self._buckets: dict[int, app_commands.Cooldown] = {}

    def hit(self, user_id: int) -> tuple[app_commands.Cooldown, float | None]:
        """Count one command by ``user_id``; the bucket and the seconds to wait (None: go)."""
        now = self.clock()
        if len(self._buckets) >= _PRUNE_AT:
            self._buckets = {
                user: bucket
                for user, bucket in self._buckets.items()
                if bucket.get_tokens(now) < self.rate
            }
        bucket = self._buckets.setdefault(user_id, app_commands.Cooldown(self.rate, self.per))
        return bucket, bucket.update_rate_limit(now)

    def check(self, interaction: discord.Interaction) -> bool:
        """An ``app_commands.check`` predicate: raises ``CommandOnCooldown`` when over."""
        bucket, retry_after = self.hit(interaction.user.id)
        if retry_after is not None:
            raise app_commands.CommandOnCooldown(bucket, retry_after)
        return True


def friendly(error: BaseException) -> Message | None:
    """The reply for an expected error, or None for an unexpected one (a bug)."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, app_commands.CommandOnCooldown):
        wait = max(1, math.ceil(error.retry_after))
        return notice_message("Slow down a little", f"You can ask again in {wait} s.")
    if isinstance(error, ModelError):
        return notice_message(
            "The model is unavailable",
            "The recommendations cannot be read right now; the bot's owner can see why in "
            "the logs.",
            Tone.ERROR,
        )
    if isinstance(error, RecommenderError):
        return notice_message("That did not work", str(error))
    if isinstance(error, app_commands.TransformerError):
        return notice_message("That value does not fit", "Check the options and try again.")
    if isinstance(error, app_commands.CommandSignatureMismatch | app_commands.CommandNotFound):
        return notice_message(
            "This command was just updated",
            "Discord still shows the old version. Try again in a minute.",
        )
    if isinstance(error, app_commands.CheckFailure):
        return notice_message("Not available here", "You cannot use this command here.")
    return None


APOLOGY = notice_message(
    "Sorry, something went wrong",
    "That failed on my side and has been logged. Please try again.",
    Tone.ERROR,
)


async def report(interaction: discord.Interaction, error: BaseException) -> None:
    """Answer a failed interaction (ephemerally) and log what the owner should see."""
    cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    message = friendly(cause)
    what = _describe(interaction)
    if message is None:
        logger.error("unexpected error in %s", what, exc_info=cause)
        message = APOLOGY
    elif isinstance(cause, ModelError):
        logger.error("model error in %s: %s", what, cause)
    else:
        logger.info("%s refused: %s", what, message.description)
    await send_notice(interaction, message)


async def send_notice(interaction: discord.Interaction, message: Message) -> None:
    """Send an ephemeral notice as the reply, or as a follow-up if the reply was sent."""
    kwargs = embeds.send_kwargs(message)
    kwargs["ephemeral"] = True
    try:
        if interaction.response.is_done():
            await interaction.followup.send(**kwargs)
        else:
            await interaction.response.send_message(**kwargs)
    except discord.HTTPException as exc:
        logger.warning(
            "could not tell the user about the error in %s: %s", _describe(interaction), exc
        )


def _describe(interaction: discord.Interaction) -> str:
    if interaction.command is not None:
        return f"/{interaction.command.qualified_name}"
    custom_id = interaction.data.get("custom_id") if interaction.data else None
    return f"component {custom_id}" if custom_id else f"interaction {interaction.id}"

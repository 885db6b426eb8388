"""The Discord client: start-up, command sync, the model watcher, and shutdown.

Start-up order: the model is loaded (in a thread) before anything talks to Discord, so a
missing model fails fast; then login, the gateway address (from the configured API when
``DISCORD_API_BASE`` is set), the button handler, the command sync if needed, and the
background task that reloads a rebuilt model.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import discord
import discord.gateway
import discord.http
import yarl
from discord import app_commands

from bot import commands, errors, sync
from bot.config import Config
from bot.reload import ModelHolder

logger = logging.getLogger(__name__)


class CommandTree(app_commands.CommandTree):
    """The command tree, whose one error hook is ``bot.errors.report``."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await errors.report(interaction, error)


class ArtistBot(discord.Client):
    """The similar-artists bot.

    Parameters
    ----------
    config : Config
        Settings (token, model path, guild, API base, reload interval).
    holder : ModelHolder
        The loaded model and its watcher.
    force_sync : bool
        Sync the commands even if their hash did not change (``--sync``).
    """

    def __init__(self, config: Config, holder: ModelHolder, *, force_sync: bool = False) -> None:
        # The bot never joins voice: no warning about voice libraries that are not installed.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        super().__init__(
            intents=discord.Intents(guilds=True),  # interactions need no privileged intent
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.config = config
        self.holder = holder
        self.force_sync = force_sync
        self.cooldowns = errors.UserCooldowns()
        self.tree = CommandTree(self)
        commands.register(self.tree)
        self._watcher: asyncio.Task[None] | None = None

    async def setup_hook(self) -> None:
        if self.config.api_base:
            # discord.py connects to Discord's gateway unless told otherwise; ask the API.
            _, url, _ = await self.http.get_bot_gateway()
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
            logger.info("using the API at %s and the gateway at %s", self.config.api_base, url)
        self.add_dynamic_items(commands.ChoiceButton)
        await sync.sync_commands(
            self.tree,
            guild_id=self.config.guild_id,
            hash_path=self.config.command_hash_path,
            force=self.force_sync,
        )
        if self.config.reload_seconds > 0:
            self._watcher = asyncio.create_task(
                self.holder.watch(self.config.reload_seconds), name="model-watcher"
            )

    async def on_ready(self) -> None:
        logger.info("connected as %s; serving %s", self.user, self.holder.path)

    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None
        await super().close()


async def run(config: Config, *, force_sync: bool = False) -> None:
    """Load the model, connect, and serve until the client is closed (SIGINT or SIGTERM).

    Raises ``ModelError`` for an unusable model and ``discord.LoginFailure`` for a bad token.
    """
    if config.token is None:
        raise ValueError("run() needs config.token")
    if config.api_base:
        discord.http.Route.BASE = config.api_base
    holder = await ModelHolder.open(config.model_path)
    client = ArtistBot(config, holder, force_sync=force_sync)

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(signum, lambda: asyncio.ensure_future(client.close()))
    async with client:
        await client.start(config.token)
    logger.info("stopped")

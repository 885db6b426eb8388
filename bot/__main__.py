"""``python -m bot``: the Discord bot, or the offline console without a token.

Expected failures (a bad setting, no model, a refused token, an unreachable API) end in one
line on standard error saying what to set or which command to run, and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import DEFAULT_ENV_FILE, Config, ConfigError, load_config
from recommender.errors import RecommenderError

EXIT_OK = 0
EXIT_CONFIG = 2
EXIT_ERROR = 3


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Run the similar-artists Discord bot. Without DISCORD_TOKEN (or with "
        "--console) it answers the same commands typed on standard input instead.",
    )
    parser.add_argument(
        "--console", action="store_true", help="answer commands from standard input, offline"
    )
    parser.add_argument(
        "--sync",
        action="store_true",
        help="register the slash commands with Discord even if they did not change",
    )
    parser.add_argument(
        "--env-file",
        type=Path,
        default=DEFAULT_ENV_FILE,
        help="settings file read under the environment (default: .env)",
    )
    return parser.parse_args(argv)


def configure_logging(level: int) -> None:
    """Log to standard error; discord.py's own loggers stay at WARNING unless LOG_LEVEL=DEBUG."""
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("discord").setLevel(
        logging.INFO if level <= logging.DEBUG else logging.WARNING
    )


def fail(message: str, code: int) -> int:
    """Write one ``error:`` line to standard error and return the exit code."""
    sys.stderr.write(f"error: {message}\n")
    return code


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        config = load_config(env_file=args.env_file)
    except ConfigError as exc:
        return fail(str(exc), EXIT_CONFIG)
    console = args.console or config.token is None
    default_level = logging.WARNING if console else logging.INFO
    configure_logging(default_level if config.log_level is None else config.log_level)

    try:
        if console:
            return run_console(config, explicit=args.console)
        return run_bot(config, force_sync=args.sync)
    except RecommenderError as exc:
        return fail(str(exc), EXIT_ERROR)
    except KeyboardInterrupt:
        return 130


def run_console(config: Config, *, explicit: bool) -> int:
    from bot import console

    if not explicit:
        sys.stderr.write(
            "note: DISCORD_TOKEN is not set, so this is the offline console "
            "(set it in .env, see .env.example, to connect to Discord).\n"
        )
    return console.run(config.model_path)


def run_bot(config: Config, *, force_sync: bool) -> int:
    import aiohttp
    import discord

    from bot import client

    try:
        asyncio.run(client.run(config, force_sync=force_sync))
    except discord.LoginFailure:
        return fail(
            "Discord refused DISCORD_TOKEN; copy the bot token again from the Developer "
            "Portal (Bot > Reset Token) into .env.",
            EXIT_CONFIG,
        )
    except (aiohttp.ClientConnectionError, discord.GatewayNotFound) as exc:
        where = config.api_base or "Discord"
        return fail(f"could not reach {where}: {exc}. Check the network.", EXIT_ERROR)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

"""Bot settings: environment over ``.env``, checked values, one-line start-up errors."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import DEFAULT_RELOAD_SECONDS, Config, ConfigError, load_config
from recommender.store import DEFAULT_MODEL_PATH

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_without_any_setting() -> None:
    config = load_config({}, env_file=None)

    assert config == Config()
    assert config.token is None
    assert config.model_path == DEFAULT_MODEL_PATH
    assert config.reload_seconds == DEFAULT_RELOAD_SECONDS
    assert config.command_hash_path == DEFAULT_MODEL_PATH.parent / ".command-hash"


def test_every_setting_is_read(tmp_path: Path) -> None:
    environ = {
        "DISCORD_TOKEN": " abc.def ",
        "MODEL_PATH": str(tmp_path / "m.joblib"),
        "DISCORD_GUILD_ID": "123456789012345678",
        "DISCORD_API_BASE": "http://127.0.0.1:8080/api/v10/",
        "LOG_LEVEL": "debug",
        "MODEL_RELOAD_SECONDS": "0.5",
    }

    config = load_config(environ, env_file=None)

    assert config == Config(
        token="abc.def",
        model_path=tmp_path / "m.joblib",
        guild_id=123456789012345678,
        api_base="http://127.0.0.1:8080/api/v10",
        log_level=logging.DEBUG,
        reload_seconds=0.5,
    )
    assert config.command_hash_path == tmp_path / ".command-hash"


def test_the_environment_wins_over_the_env_file_and_empty_means_unset(write_text) -> None:
    env_file = write_text(
        ".env",
        [
            "# comment",
            "DISCORD_TOKEN=from-file",
            "MODEL_PATH=from/file.joblib",
            "DISCORD_GUILD_ID=",
            "LOG_LEVEL=WARNING",
        ],
    )

    config = load_config({"MODEL_PATH": "from/env.joblib", "LOG_LEVEL": ""}, env_file=env_file)

    assert config.token == "from-file"
    assert config.model_path == Path("from/env.joblib")
    assert config.guild_id is None
    assert config.log_level is None


def test_a_missing_env_file_is_fine(tmp_path: Path) -> None:
    assert load_config({}, env_file=tmp_path / "absent.env") == Config()


def test_the_example_lists_every_setting() -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    names = {line.split("=")[0] for line in example.splitlines() if "=" in line[:30]}

    assert names == {
        "DISCORD_TOKEN",
        "MODEL_PATH",
        "MODEL_RELOAD_SECONDS",
        "DISCORD_GUILD_ID",
        "DISCORD_API_BASE",
        "LOG_LEVEL",
    }
    assert load_config({}, env_file=ROOT / ".env.example").token is None


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("DISCORD_GUILD_ID", "my-server", r"DISCORD_GUILD_ID must be a server id \(digits only"),
        ("DISCORD_GUILD_ID", "0", "DISCORD_GUILD_ID must be a server id"),
        ("DISCORD_API_BASE", "127.0.0.1:8080", "DISCORD_API_BASE must be an http\\(s\\) URL"),
        ("DISCORD_API_BASE", "ftp://x/api", "DISCORD_API_BASE must be an http\\(s\\) URL"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, got 'LOUD'"),
        ("MODEL_RELOAD_SECONDS", "-1", "MODEL_RELOAD_SECONDS must be a number of seconds"),
        ("MODEL_RELOAD_SECONDS", "nan", "MODEL_RELOAD_SECONDS must be a number of seconds"),
        ("MODEL_RELOAD_SECONDS", "often", "MODEL_RELOAD_SECONDS must be a number of seconds"),
    ],
    ids=["guild-text", "guild-zero", "api-no-scheme", "api-ftp", "log", "neg", "nan", "text"],
)
def test_bad_values_are_refused_naming_the_variable(name: str, value: str, error: str) -> None:
    with pytest.raises(ConfigError, match=error):
        load_config({name: value}, env_file=None)


@pytest.mark.parametrize(
    ("level", "discord_level"),
    [
        (logging.INFO, logging.WARNING),
        (logging.WARNING, logging.WARNING),
        (logging.DEBUG, logging.INFO),
    ],
    ids=["info", "warning", "debug"],
)
def test_discord_py_logs_warnings_only_unless_debugging(level: int, discord_level: int) -> None:
    from bot.__main__ import configure_logging

    discord_logger = logging.getLogger("discord")
    before = discord_logger.level
    try:
        configure_logging(level)
        assert discord_logger.level == discord_level
    finally:
        discord_logger.setLevel(before)


# --------------------------------------------------------------------------- python -m bot


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_bot(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "MODEL_"))}
    # Whatever happens, REST goes to a closed local port, never to Discord.
    api = f"http://127.0.0.1:{closed_port()}/api/v10"
    clean |= {"PYTHONPATH": str(ROOT), "DISCORD_API_BASE": api, "LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=clean | env,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def test_a_bad_setting_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = run_bot({"DISCORD_GUILD_ID": "my-server"}, tmp_path)

    assert done.returncode == 2
    assert done.stderr.startswith("error: DISCORD_GUILD_ID must be a server id")
    assert done.stderr.count("\n") == 1


def test_a_missing_model_with_a_token_is_one_line_before_any_connection(tmp_path: Path) -> None:
    done = run_bot({"DISCORD_TOKEN": "x.y.z", "MODEL_PATH": "nowhere/model.joblib"}, tmp_path)

    assert done.returncode == 3
    assert done.stderr == (
        "error: No model at nowhere/model.joblib: run `python -m recommender.build` to build it "
        "(or set MODEL_PATH).\n"
    )


def test_an_unreachable_api_is_one_line(tmp_path: Path, build_plays_model) -> None:
    model = build_plays_model("bot-config", [("u1", "A", 1), ("u1", "B", 1), ("u2", "A", 1)])

    done = run_bot({"DISCORD_TOKEN": "x.y.z", "MODEL_PATH": str(model)}, tmp_path)

    assert done.returncode == 3
    assert done.stderr.startswith("error: could not reach http://127.0.0.1:")
    assert done.stderr.count("\n") == 1

"""The offline console: line parsing, text output, and ``python -m bot`` run on standard input."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.console import CommandLineError, message_text, parse_line
from bot.render import Button, Field, Message, ShowSimilar

ROOT = Path(__file__).resolve().parents[1]
RUN_TIMEOUT = 60


@pytest.fixture(scope="module")
def model(build_plays_model) -> Path:
    # Every user of a cluster listens to its first artist; the m-th other artist loses 3
    # listeners per step, so the first artist's neighbours come in list order.
    rows = []
    for prefix, artists in [
        ("g", ["Nirvana", "Pearl Jam", "Soundgarden", "Mudhoney"]),
        ("j", ["Miles Davis", "Bill Evans", "Gil Evans"]),
    ]:
        for u in range(12):
            rows += [(f"{prefix}{u}", a, 1) for m, a in enumerate(artists) if u < 12 - 3 * m]
    return build_plays_model("bot-console", rows)


def run_bot(
    stdin: str, *args: str, env: dict[str, str] | None = None, cwd: Path
) -> subprocess.CompletedProcess[str]:
    """``python -m bot`` in ``cwd`` (no stray .env), without any Discord setting inherited."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "MODEL_"))}
    clean |= {"PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8", "LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=clean | (env or {}),
        cwd=cwd,
        timeout=RUN_TIMEOUT,
        check=False,
    )


def answers_in(stdout: str) -> list[str]:
    """The answers printed, split before each underlined title."""
    return re.split(r"\n\n(?=[^\n]+\n=+\n)", stdout.strip())


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "/similar artist:red hot chili peppers k:10",
            ("similar", {"artist": "red hot chili peppers", "k": "10"}),
        ),
        ("/matches artist:artic monkeys", ("matches", {"artist": "artic monkeys"})),
        ("similar nirvana", ("similar", {"artist": "nirvana"})),
        ("/similar k:3 artist:AC/DC: Live", ("similar", {"artist": "AC/DC: Live", "k": "3"})),
        ("/SIMILAR Artist:Björk K:2", ("similar", {"artist": "Björk", "k": "2"})),
        ("/about", ("about", {})),
    ],
    ids=["full", "matches", "bare", "colon-in-name", "case", "about"],
)
def test_parse_line(line: str, expected: tuple[str, dict[str, str]]) -> None:
    assert parse_line(line) == expected


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("/recommend artist:x", "Unknown command 'recommend'. Type help"),
        ("/similar artist:a artist:b", "Option artist is given twice"),
        ("/about everything", "/about takes no options, got 'everything'"),
    ],
    ids=["unknown", "twice", "about-option"],
)
def test_parse_line_errors(line: str, error: str) -> None:
    with pytest.raises(CommandLineError, match=error):
        parse_line(line)


def test_message_text_shows_fields_numbered_buttons_and_footer() -> None:
    message = Message(
        "Title",
        "Body",
        fields=(Field("Artists", "12"),),
        footer="Note",
        buttons=(Button("Bill Evans", ShowSimilar(1, 3)), Button("Gil Evans", ShowSimilar(2, 3))),
    )

    assert message_text(message).splitlines() == [
        "Title",
        "=====",
        "Body",
        "Artists: 12",
        "",
        "  [1] Bill Evans",
        "  [2] Gil Evans",
        "Type a number to choose.",
        "",
        "(Note)",
    ]


# --------------------------------------------------------------------------- python -m bot


def test_console_answers_piped_commands_like_the_bot(model: Path, tmp_path: Path) -> None:
    lines = [
        "/similar artist:nirvana k:2",
        "/matches artist:gil evan",
        "/about",
        "help",
        "/similar artist:nirvana k:26",
        "quit",
        "/about",
    ]

    done = run_bot(
        "\n".join(lines) + "\n", "--console", env={"MODEL_PATH": str(model)}, cwd=tmp_path
    )

    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    answers = answers_in(done.stdout)
    assert answers[0].splitlines() == [
        "Artists like Nirvana",
        "====================",
        " 1. █████████░ 0.134 Pearl Jam",
        " 2. ███████░░░ 0.293 Soundgarden",
        "",
        "(Distance is cosine distance: 0 = the same listeners, 1 = none in common.)",
    ]
    assert answers[1].startswith("Names close to “gil evan”\n")
    assert "Gil Evans · 6 listeners" in answers[1]
    assert "Dataset: plays.csv (plays)" in done.stdout
    assert "/matches artist:<text>" in done.stdout
    assert "k must be a whole number from 1 to 25, got 26." in done.stdout
    assert done.stdout.count("About this model") == 1  # nothing is read after quit


def test_a_number_picks_a_did_you_mean_candidate(model: Path, tmp_path: Path) -> None:
    stdin = "/similar bil evans k:1\n7\n2\n1\n"

    done = run_bot(stdin, env={"MODEL_PATH": str(model)}, cwd=tmp_path)

    assert done.returncode == 0
    choice, wrong, chosen, gone = answers_in(done.stdout)
    assert "Did you mean…?" in choice
    labels = [line.split("] ")[1] for line in choice.splitlines() if line.startswith("  [")]
    assert sorted(labels) == ["Bill Evans", "Gil Evans"]
    assert "No choice 7 (choices: 1 to 2)." in wrong
    assert chosen.startswith(f"Artists like {labels[1]}\n")
    assert len(chosen.splitlines()) == 2 + 1 + 2  # title, underline, one neighbour, footer
    # like the bot's message, edited in place: the buttons are gone once one was chosen
    assert "No choice 1 (choices: none right now)." in gone


def test_without_a_token_python_m_bot_falls_back_to_the_console(
    model: Path, tmp_path: Path
) -> None:
    done = run_bot(
        "/similar artist:miles davis k:1\n", env={"MODEL_PATH": str(model)}, cwd=tmp_path
    )

    assert done.returncode == 0
    assert done.stderr.startswith("note: DISCORD_TOKEN is not set, so this is the offline console")
    assert "Artists like Miles Davis\n" in done.stdout
    assert "Bill Evans" in done.stdout


def test_empty_non_interactive_input_exits_cleanly_even_without_a_model(tmp_path: Path) -> None:
    done = run_bot("", "--console", cwd=tmp_path)

    assert done.returncode == 0
    assert done.stdout == ""
    assert done.stderr == ""


def test_a_missing_model_is_one_line_saying_how_to_build_it(tmp_path: Path) -> None:
    done = run_bot("/about\n", "--console", cwd=tmp_path)

    assert done.returncode == 3
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("error: No model at artifacts/model.joblib: run `python -m ")
    assert "Traceback" not in done.stderr

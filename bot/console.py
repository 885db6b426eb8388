"""The offline console: the bot's commands typed on standard input, answers printed as text.

Lines look like the slash commands: ``/similar artist:nirvana k:5``, ``/discover artist:muse``,
``/matches artist:bjork``, ``/about``; the leading slash and the ``artist:`` label are
optional (``similar nirvana``).
After a "did you mean" answer, typing a number picks that candidate, like the bot's buttons.
``help`` lists the commands and ``quit`` (or end of input) leaves. The answers come from the
same functions and the same rendering as the Discord bot, written as plain text.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bot import answers, markup
from bot.render import Action, Message, ShowDiscoveries, notice_message
from recommender.errors import ModelError, RecommenderError
from recommender.facade import Recommender

HELP = f"""\
Commands (the same as the Discord bot's):
  /similar artist:<name> [k:<n>]  the k ({answers.K_MIN}-{answers.K_MAX}, default \
{answers.K_DEFAULT}) artists most like one artist
  /discover artist:<name> [k:<n>] the k artists like one artist that fewer people know
  /matches artist:<text>          artist names close to some text, with match scores
  /about                          what the model was built from
  <number>                        after "did you mean": show that candidate's neighbours
  help                            this list
  quit                            leave (the end of input works too)"""

QUIT = {"quit", "exit", "/quit", "/exit"}
HELP_WORDS = {"help", "/help", "?"}


class CommandLineError(ValueError):
    """A console line that is not a command the console knows, or has a bad option."""


@dataclass(frozen=True)
class Command:
    name: str
    options: tuple[str, ...]
    positional: str | None


COMMANDS = {
    "similar": Command("similar", ("artist", "k"), "artist"),
    "discover": Command("discover", ("artist", "k"), "artist"),
    "matches": Command("matches", ("artist",), "artist"),
    "about": Command("about", (), None),
}


def parse_line(line: str) -> tuple[str, dict[str, str]]:
    """Split ``/similar artist:red hot chili peppers k:10`` into the command and its options.

    An option's value runs to the next ``name:`` of that command, so names may hold spaces
    (and colons that do not follow an option name). Text before the first option is the
    command's main option (``artist``).
    """
    name, _, rest = line.strip().removeprefix("/").partition(" ")
    command = COMMANDS.get(name.lower())
    if command is None:
        raise CommandLineError(f"Unknown command {name!r}. Type help to see the commands.")
    values: dict[str, str] = {}
    found: list[re.Match[str]] = []
    if command.options:
        labels = "|".join(re.escape(o) for o in command.options)
        found = list(re.finditer(rf"(?:^|\s)({labels}):", rest, flags=re.IGNORECASE))
    head = (rest[: found[0].start()] if found else rest).strip()
    if head:
        if command.positional is None:
            raise CommandLineError(f"/{command.name} takes no options, got {head!r}.")
        values[command.positional] = head
    ends = [m.start() for m in found[1:]] + [len(rest)] if found else []
    for match, end in zip(found, ends, strict=True):
        option = match.group(1).lower()
        if option in values:
            raise CommandLineError(f"Option {option} is given twice.")
        values[option] = rest[match.end() : end].strip()
    return command.name, values


def parse_k(text: str | None) -> int:
    """The ``k`` option as a number (range checked by ``answers.check_k``)."""
    if text is None:
        return answers.K_DEFAULT
    try:
        return int(text)
    except ValueError:
        raise CommandLineError(
            f"k must be a whole number from {answers.K_MIN} to {answers.K_MAX}, got {text!r}."
        ) from None


def message_text(message: Message) -> str:
    """A rendered message as console text: title, body, fields, numbered buttons, footer."""
    lines = [message.title, "=" * min(len(message.title), 72)]
    if message.description:
        lines.append(message.description)
    lines += [f"{field.name}: {field.value}" for field in message.fields]
    if message.buttons:
        lines.append("")
        lines += [f"  [{i}] {button.label}" for i, button in enumerate(message.buttons, 1)]
        lines.append("Type a number to choose.")
    if message.footer:
        lines += ["", f"({message.footer})"]
    return "\n".join(lines)


class Console:
    """Answers console lines from one model, remembering the last buttons shown.

    The model is loaded on first use, so reading an empty input costs nothing.
    """

    def __init__(self, model_path: Path, load: Callable[[Path], Recommender]) -> None:
        self.model_path = model_path
        self._load = load
        self._recommender: Recommender | None = None
        self.buttons: list[Action] = []

    @property
    def recommender(self) -> Recommender:
        if self._recommender is None:
            self._recommender = self._load(self.model_path)
        return self._recommender

    def answer(self, line: str) -> Message:
        """The message for one input line (errors become notices, as in the bot).

        Raises ``ModelError`` if the model cannot be loaded: nothing could be answered.
        """
        try:
            message = self._answer(line.strip())
        except ModelError:
            raise
        except (CommandLineError, RecommenderError) as exc:
            return notice_message("That did not work", str(exc))
        self.buttons = [button.action for button in message.buttons]
        return message

    def _answer(self, line: str) -> Message:
        if line.isdigit():
            return self._choose(int(line))
        command, options = parse_line(line)
        style = markup.PLAIN
        if command == "about":
            return answers.about(self.recommender, style).message
        if "artist" not in options:
            raise CommandLineError(f"/{command} needs an artist, e.g. /{command} artist:nirvana")
        if command == "matches":
            return answers.matches(self.recommender, options["artist"], style).message
        k = parse_k(options.get("k"))
        if command == "discover":
            return answers.discover(self.recommender, options["artist"], k, style).message
        return answers.similar(self.recommender, options["artist"], k, style).message

    def _choose(self, number: int) -> Message:
        if not 1 <= number <= len(self.buttons):
            shown = f"1 to {len(self.buttons)}" if self.buttons else "none right now"
            raise CommandLineError(f"No choice {number} (choices: {shown}).")
        action = self.buttons[number - 1]
        discovering = isinstance(action, ShowDiscoveries)
        choose = answers.choose_discoveries if discovering else answers.choose
        return choose(self.recommender, action.artist_id, action.k, markup.PLAIN).message


def lines_from(stream: TextIO, interactive: bool) -> Iterator[str]:
    """Input lines: prompted with ``input()`` on a terminal, read plainly otherwise."""
    if not interactive:
        yield from stream
        return
    while True:
        try:
            yield input("> ")
        except EOFError:
            print()
            return


def run(
    model_path: Path,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    load: Callable[[Path], Recommender] = Recommender.load,
) -> int:
    """Answer lines from ``stdin`` until ``quit`` or end of input; returns the exit code 0.

    On a terminal the model is loaded at once, for the banner; otherwise at the first
    command, so an empty, non-interactive input exits cleanly. Raises ``ModelError`` if the
    model cannot be loaded (the caller prints it in one line).
    """
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty() and stdout.isatty()
    console = Console(model_path, load)
    if interactive:
        info = console.recommender.about()
        print(f"Offline console: {info.n_artists:,} artists from {Path(info.source).name}.")
        print("Type help for the commands, quit to leave.")
    for raw in lines_from(stdin, interactive):
        line = raw.strip()
        if not line:
            continue
        if line.lower() in QUIT:
            break
        text = HELP if line.lower() in HELP_WORDS else message_text(console.answer(line))
        print(text, end="\n\n", file=stdout, flush=True)
    return 0

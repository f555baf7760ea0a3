"""The two faces of the loop: questionary on a terminal, one line per answer in a pipe. The only questionary importer."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import IO, TYPE_CHECKING

from trainer import render
from trainer.cards import CardSpec
from trainer.grading import Verdict
from trainer.scheduler import RATING_NAMES, CardState

if TYPE_CHECKING:
    from rich.console import Console


class PlainPrompter:
    """Reads one answer per line; prints one question and one verdict line each; keeps the suggested rating."""

    def __init__(self, stdin: IO[str] | None = None, stdout: IO[str] | None = None) -> None:
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout

    def _say(self, line: str) -> None:
        self.stdout.write(line + "\n")
        self.stdout.flush()

    def ask(self, card: CardSpec, number: int, total: int) -> str | None:
        self._say(render.question_line(card, number, total))
        try:
            line = self.stdin.readline()
        except KeyboardInterrupt:
            return None
        return None if line == "" else line.rstrip("\r\n")

    def show_verdict(self, card: CardSpec, verdict: Verdict, after: CardState, now: datetime) -> None:
        for line in render.verdict_lines(card, verdict, after, now):
            self._say(line)

    def choose_rating(self, suggested: int, previews: dict[int, CardState], now: datetime) -> int | None:
        return suggested


class TerminalPrompter:
    """questionary for the answer, then one key for the rating: Enter accepts, 1-4 overrides."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def ask(self, card: CardSpec, number: int, total: int) -> str | None:
        import questionary

        try:
            answer = questionary.text(render.clean(card.question), qmark=f"({number}/{total})").unsafe_ask()
        except (KeyboardInterrupt, EOFError):
            return None
        return None if answer is None else str(answer)

    def show_verdict(self, card: CardSpec, verdict: Verdict, after: CardState, now: datetime) -> None:
        render.print_lines(self.console, render.verdict_lines(card, verdict, after, now))

    def choose_rating(self, suggested: int, previews: dict[int, CardState], now: datetime) -> int | None:
        from prompt_toolkit.application import Application
        from prompt_toolkit.key_binding import KeyBindings
        from prompt_toolkit.layout import Layout, Window
        from prompt_toolkit.layout.controls import FormattedTextControl

        options = " · ".join(
            f"{r} {RATING_NAMES[r]} {render.interval(previews[r].due - now) if previews[r].due else ''}"
            for r in (1, 2, 3, 4)
        )
        text = [("bold", f"  Enter: {RATING_NAMES[suggested]}"), ("", f"   or {options}   ")]
        kb = KeyBindings()

        @kb.add("enter")
        def _accept(event) -> None:  # type: ignore[no-untyped-def]
            event.app.exit(result=suggested)

        for r in (1, 2, 3, 4):
            kb.add(str(r))(lambda event, r=r: event.app.exit(result=r))

        @kb.add("c-c")
        @kb.add("c-d")
        def _quit(event) -> None:  # type: ignore[no-untyped-def]
            event.app.exit(result=None)

        app: Application[int | None] = Application(
            layout=Layout(Window(FormattedTextControl(text), height=1)), key_bindings=kb,
            full_screen=False, erase_when_done=True,
        )
        try:
            chosen = app.run()
        except (KeyboardInterrupt, EOFError):
            return None
        if chosen is not None and chosen != suggested:
            due = previews[chosen].due
            nxt = f", next in {render.interval(due - now)}" if due else ""
            self.console.print(f"  Rated {RATING_NAMES[chosen]} instead of {RATING_NAMES[suggested]}{nxt}.")
        return chosen

"""The two faces of the loop: questionary on a terminal, one line per answer in a pipe.
The only module that imports questionary."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from trainer import render
from trainer.cards import CardSpec
from trainer.grading import Verdict
from trainer.scheduler import LEECH_FAILS, CardState, Rating
from trainer.session import ACCEPT, UNDO

if TYPE_CHECKING:
    from rich.console import Console


class PlainPrompter:
    """Reads one answer per line; prints one question and one verdict line each; keeps the suggested rating."""

    def __init__(self, stdin: IO[str] | None = None, stdout: IO[str] | None = None) -> None:
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.timed = self.stdin.isatty()  # answers piped in arrive instantly: their speed means nothing

    def _say(self, line: str) -> None:
        self.stdout.write(line + "\n")
        self.stdout.flush()

    def ask(self, card: CardSpec, number: int, total: int) -> str | None:
        self._say(render.question_line(card, number, total))
        if card.choices:
            self._say("  " + render.choice_line(card))
        try:
            line = self.stdin.readline()
        except KeyboardInterrupt:
            return None
        if line == "":
            return None
        answer = line.rstrip("\r\n")
        picked = answer.strip()
        if card.choices and picked.isascii() and picked.isdigit() and 1 <= int(picked) <= len(card.choices):
            return card.choices[int(picked) - 1]
        return answer

    def ask_text(self, mark: str) -> str | None:
        """A free answer (a drill's): one line; None at the end of input."""
        try:
            line = self.stdin.readline()
        except KeyboardInterrupt:
            return None
        return None if line == "" else line.rstrip("\r\n")

    def show_verdict(self, card: CardSpec, verdict: Verdict, after: CardState | None, now: datetime,
                     extra: list[str]) -> None:
        for line in render.verdict_lines(card, verdict, after, now, extra):
            self._say(line)

    def choose_rating(self, suggested: int, previews: dict[int, CardState], now: datetime,
                      offer_accept: bool = False) -> int | None:
        return suggested

    def notice(self, line: str) -> None:
        self._say(render.clean(line))

    def self_grade(self, card: CardSpec, number: int, total: int) -> tuple[str, int] | None:
        """Two lines: the learner's attempt, then after the answer is shown, a rating 1-4 (empty = Good)."""
        attempt = self.ask(card, number, total)
        if attempt is None:
            return None
        self._say(f"= {render.clean(card.expected)}")
        self._say("  Rate yourself: 1 Again, 2 Hard, 3 Good, 4 Easy (empty line: Good)")
        line = self.stdin.readline()
        if line == "":
            return None
        text = line.strip()
        if text not in ("1", "2", "3", "4", ""):
            self._say(f"  ({render.clean(text)[:20]} is not 1-4: rated Good)")
        return attempt, int(text) if text in ("1", "2", "3", "4") else 3

    def offer_suspend(self, card: CardSpec) -> bool:
        self._say(f"! Leech: forgotten {LEECH_FAILS} times after you had learned it. `trainer cards --leeches` "
                  "lists leeches; `trainer suspend ID` sets one aside.")
        return False


class TerminalPrompter:
    """questionary for a typed answer, a prompt of our own for multiple choice and the rating: every key there
    takes effect on Enter."""

    timed = True

    def __init__(self, console: Console) -> None:
        self.console = console

    def ask(self, card: CardSpec, number: int, total: int) -> str | None:
        import questionary

        if card.choices:
            return self._ask_choice(card, number, total)
        for attempt in range(2):  # an Enter pressed out of habit (after a drill's verdict) is not an answer
            try:
                answer = questionary.text(render.clean(card.question),
                                          qmark=render.counter(number, total)).unsafe_ask()
            except (KeyboardInterrupt, EOFError):
                return None
            if answer is None:
                return None
            if str(answer).strip() or attempt:
                return str(answer)
            render.print_lines(self.console, ["  Nothing typed: Enter again shows the answer."])
        return ""

    def ask_text(self, mark: str) -> str | None:
        """A free answer (a drill's), typed on one line."""
        import questionary

        try:
            answer = questionary.text("", qmark=mark).unsafe_ask()
        except (KeyboardInterrupt, EOFError):
            return None
        return None if answer is None else str(answer)

    def _ask_choice(self, card: CardSpec, number: int, total: int) -> str | None:
        """Multiple choice with nothing chosen at first: a digit or the arrows choose, Enter confirms, and a
        reflexive Enter answers nothing."""
        head = f"{render.counter(number, total)} {render.clean(card.question)}"

        def lines(current: str | None) -> list[tuple[str, str]]:
            parts = [("bold", head + "\n")]
            for i, option in enumerate(card.choices, 1):
                parts.append(("reverse" if option == current else "", f"  {i}) {render.clean(option)}"))
                parts.append(("", "\n"))
            parts.append(("", "  a number or the arrows, then Enter"))
            return parts

        answer = self._choose(lines, None, {str(i): c for i, c in enumerate(card.choices, 1)},
                              cycle=list(card.choices))
        if answer is not None:
            self.console.print(f"{head} {render.clean(answer)}", markup=False, highlight=False)
        return answer

    def show_verdict(self, card: CardSpec, verdict: Verdict, after: CardState | None, now: datetime,
                     extra: list[str]) -> None:
        render.print_lines(self.console, render.verdict_lines(card, verdict, after, now, extra, self.console.width))

    def notice(self, line: str) -> None:
        render.print_lines(self.console, [line], style="bold")

    def _choose(self, render_line: Callable[[Any], list[tuple[str, str]]], initial: Any,
                select: dict[str, Any], immediate: dict[str, Any] | None = None,
                cycle: list[Any] | None = None) -> Any:
        """Keys in `select` pick a value and Enter confirms it, so keys typed ahead never leak into the next
        card; keys in `immediate` act at once; the arrows move through `cycle`. Enter with nothing chosen does
        nothing, and neither does Enter after more than one key (`161`, `udp` typed ahead for the next card):
        the choice goes back to what it was and the line asks for one key. Ctrl-C, Ctrl-D or end of input
        return None."""
        from prompt_toolkit.application import Application
        from prompt_toolkit.layout import Layout, Window
        from prompt_toolkit.layout.controls import FormattedTextControl

        state = _Choice(initial)

        def text() -> Any:
            parts = render_line(state.chosen)
            return parts + [("bold", "\n  One key, then Enter.")] if state.warned else parts

        app: Application[Any] = Application(
            layout=Layout(Window(FormattedTextControl(text), wrap_lines=True, dont_extend_height=True)),
            key_bindings=state.bindings(select, immediate or {}, cycle), full_screen=False, erase_when_done=True,
        )
        try:
            return app.run()
        except (KeyboardInterrupt, EOFError):
            return None

    def choose_rating(self, suggested: int, previews: dict[int, CardState], now: datetime,
                      offer_accept: bool = False) -> int | None:
        """Every key takes effect on Enter, `u` included: `u` then Enter undoes, and nothing typed ahead
        (`udp`, a digit) leaks into the next prompt. On the learner's own decks, `a` then Enter accepts the
        answer just marked wrong, from now on."""
        heads = {UNDO: "undo this answer", ACCEPT: "accept my answer from now on"}

        def line(current: int) -> list[tuple[str, str]]:
            parts = [("bold", f"  Enter: {heads.get(current) or Rating(current).label}"), ("", "   or ")]
            for r in (1, 2, 3, 4):
                due = previews[r].due
                label = f"{r} {Rating(r).label} {render.interval(due - now) if due else ''}".rstrip()
                parts.append(("reverse" if r == current else "", label))
                parts.append(("", " · "))
            parts.append(("reverse" if current == UNDO else "", "u undo"))
            if offer_accept:
                parts += [("", " · "), ("reverse" if current == ACCEPT else "", "a accept my answer")]
            return parts

        keys = {**{str(r): r for r in (1, 2, 3, 4)}, "u": UNDO, **({"a": ACCEPT} if offer_accept else {})}
        chosen = self._choose(line, suggested, keys)
        if chosen is None or chosen in (UNDO, ACCEPT):
            return chosen
        if chosen != suggested:
            due = previews[chosen].due
            nxt = f", next in {render.interval(due - now)}" if due else ""
            self.console.print(f"  Rated {Rating(chosen).label} instead of {Rating(suggested).label}{nxt}.")
        return int(chosen)

    def self_grade(self, card: CardSpec, number: int, total: int) -> tuple[str, int] | None:
        """Think (or type) the answer, Enter reveals it, then a rating: 1-4 and Enter (Enter alone: Good)."""
        attempt = self.ask(card, number, total)
        if attempt is None:
            return None
        render.print_lines(self.console, [f"= {card.expected}"])
        if card.note:
            render.print_lines(self.console, [f"  {card.note}"])

        def line(current: int) -> list[tuple[str, str]]:
            return [("bold", f"  How well did you know it? Enter: {Rating(current).label}"),
                    ("", "   (1 Again · 2 Hard · 3 Good · 4 Easy)")]

        rating = self._choose(line, 3, {str(r): r for r in (1, 2, 3, 4)})
        if rating is None:
            return None
        self.console.print(f"  Rated {Rating(int(rating)).label}.")
        return attempt, int(rating)

    def offer_suspend(self, card: CardSpec) -> bool:
        self.notice(f"  Leech: forgotten {LEECH_FAILS} times after you had learned it. Read the note above; "
                    "slow down on it, or set it aside.")
        answer = self._choose(lambda _: [("bold", "  s: suspend it · Enter: keep it")], False, {}, {"s": True})
        if answer:
            self.console.print("  Suspended. `trainer unsuspend ID` brings it back.")
        return bool(answer)


class _Choice:
    """What a one-key prompt has chosen so far, and the keys typed since it opened."""

    def __init__(self, initial: Any) -> None:
        self.initial = self.chosen = initial
        self.typed: list[str] = []
        self.warned = False

    def bindings(self, select: dict[str, Any], immediate: dict[str, Any], cycle: list[Any] | None) -> Any:
        from prompt_toolkit.key_binding import KeyBindings
        from prompt_toolkit.keys import Keys

        kb = KeyBindings()
        for key, value in select.items():
            kb.add(key)(lambda event, key=key, value=value: self.pick(key, value))
        for key, value in immediate.items():
            kb.add(key)(lambda event, value=value: event.app.exit(result=value))
        kb.add(Keys.Any)(lambda event: self.typed.append(event.data))  # a key meaning nothing here still counts
        if cycle:
            kb.add("down")(lambda event: self.step(cycle, 1))
            kb.add("up")(lambda event: self.step(cycle, -1))
        kb.add("enter")(self.confirm)
        for key in ("c-c", "c-d"):
            kb.add(key)(lambda event: event.app.exit(result=None))
        return kb

    def pick(self, key: str, value: Any) -> None:
        self.typed.append(key)
        self.chosen = value

    def step(self, cycle: list[Any], by: int) -> None:
        at = cycle.index(self.chosen) if self.chosen in cycle else (-1 if by > 0 else len(cycle))
        self.chosen = cycle[(at + by) % len(cycle)]

    def confirm(self, event: Any) -> None:
        if len(self.typed) > 1:  # keys typed ahead for the next card: act on none of them
            self.chosen, self.warned = self.initial, True
            self.typed.clear()
            return
        self.typed.clear()
        if self.chosen is not None:
            event.app.exit(result=self.chosen)

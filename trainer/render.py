"""Words and pictures for the terminal: plain text that reads in a pipe, rich styling on a terminal."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from trainer.cards import CardSpec
from trainer.clock import LEARN_AHEAD
from trainer.grading import Verdict
from trainer.scheduler import LEECH_FAILS, CardState, Rating, State

if TYPE_CHECKING:
    from rich.console import Console

    from trainer.session import Summary
    from trainer.settings import Settings
    from trainer.stats import Plan
    from trainer.store import DeckCounts

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """Deck text is data: control characters and direction overrides never reach the terminal."""
    return _CONTROL.sub("", text.replace("\n", " ").replace("\t", " "))


def clean_lines(text: str) -> str:
    """A file's text shown on a terminal: its lines kept, nothing in them the terminal would act on."""
    return "\n".join(clean(line) for line in text.replace("\r\n", "\n").split("\n"))


def interval(delta: timedelta) -> str:
    """`45s`, `10m`, `3h`, `2d`, `3mo`, `1.5y`: how long until a card is due."""
    s = max(delta.total_seconds(), 0)
    if s < 60:
        return f"{int(s)}s"
    if s < 3600:
        return f"{round(s / 60)}m"
    if s < 86400:
        return f"{round(s / 3600)}h"
    days = s / 86400
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{round(days / 30)}mo"
    return f"{days / 365:.1f}y"


def when(due: datetime | None, now: datetime) -> str:
    if due is None:
        return "when you study one (none is scheduled yet)"
    if due <= now:
        return "now"
    return f"in {interval(due - now)} ({due.astimezone().strftime('%Y-%m-%d %H:%M')})"


def when_due(state: CardState, now: datetime, day_end: datetime) -> str:
    """When a card is due as review sees it: a review card is due for the whole study day (`today`), a learning
    step by the minute."""
    if state.due is None:
        return "-"
    if state.state == State.REVIEW and state.due < day_end:
        return "now" if state.due <= now else "today"
    return when(state.due, now)


def counter(number: int, total: int) -> str:
    """`(3/20)`; a card asked again within the session (a learning step) is `(again)`, so the count never
    runs past the session's size."""
    return "(again)" if number == 0 else f"({number}/{total})"


def question_line(card: CardSpec, number: int, total: int) -> str:
    return f"{counter(number, total)} {clean(card.question)}"


def header_line(due: int, learning: int, new: int, new_per_day: int, new_limit: int | None = None,
                extra: int = 0) -> str:
    """What today's session holds, said before the first card, with the limit its new cards came under: the
    day's, or the one this session was given (`--new 200` is not "of 20 a day")."""
    limit = f"--new {new_limit}" if new_limit is not None else f"of {new_per_day} a day"
    return f"Today: {due} due, {learning} learning, {new} new ({limit}{f', +{extra} extra' if extra else ''})."


def exam_lines(e: dict[str, Any], short: bool = False) -> list[str]:
    """The stored exam: days left, cards not met, the pace of new cards, the final window, recall on the day.
    `short`: the one line `review` starts with."""
    if e["past"]:
        return [f"The exam on {e['date']} is past: scheduling is plain FSRS again (`trainer exam --clear` forgets it)."]
    if e["days_left"] == 0:
        return [f"The exam is today ({e['date']}): no new cards now; review what is due, and good luck."]
    days = plural(e["days_left"], "day")
    meet = (f"{e['new_per_day_needed']} a day meet{'s' if e['new_per_day_needed'] == 1 else ''} them all by "
            f"{e['cutoff']}" if e["new_per_day_needed"] <= e["new_per_day"] else
            f"{e['new_per_day_needed']} new a day are needed to meet them all by {e['cutoff']} (your limit is "
            f"{e['new_per_day']}: `trainer plan --apply` raises it)")
    if short:
        return [f"Exam in {days} ({e['date']}): {e['unseen']} of {e['cards']} exam cards not met yet; "
                + (f"new cards: {meet}." if e["unseen"] else "every one met.")]
    scope = ", ".join(e["decks"]) + (f", facts whose source starts with '{e['source']}'" if e["source"] else "")
    recall = "-" if e["recall_if_stopped"] is None else f"{100 * e['recall_if_stopped']:.0f}%"
    return [f"Exam on {e['date']}, in {days}: {e['cards']} cards ({scope}), {e['unseen']} not met yet.",
            (f"New cards: {meet}." if e["unseen"] else "Every exam card has been met."),
            f"Each exam card's last review before the exam falls in the final window, {e['window_start']} to the "
            f"day before; after the exam, plain FSRS again.",
            f"Predicted recall on the day if you stopped studying now: {recall}."]


def choice_line(card: CardSpec) -> str:
    return "   ".join(f"{i}) {clean(c)}" for i, c in enumerate(card.choices, 1))


def verdict_lines(card: CardSpec, verdict: Verdict, after: CardState | None, now: datetime,
                  extra: Iterable[str] = (), width: int = 10**6) -> list[str]:
    """First line starts with ✓ or ✗ (scripts rely on it); then the note, if the deck has one."""
    rating = Rating(verdict.rating).label
    due = f"next in {interval(after.due - now)}" if after and after.due and after.due > now else ""
    if verdict.correct and verdict.typo:
        head = f"✓ Right, with a typo: {clean(card.expected)}"
    elif verdict.correct:
        head = f"✓ Right: {clean(card.expected)}"
    else:
        given = clean(verdict.answer.strip()) or "(no answer)"
        if len(given) > 60:
            given = given[:59] + "…"
        head = f"✗ Wrong: you said {given}; the answer is {clean(card.expected)}"
    lines = wrap(f"{head}  [{rating}, {due}]" if due else head, width, "  ")  # practice moves nothing: no rating
    for x in [*extra, *([card.note] if card.note else [])]:
        lines += wrap(clean(x), width, "  ", "  ")
    return lines


def summary_lines(summary: Summary, now: datetime) -> list[str]:
    if not summary.answered:
        head = "No answers this session."
    else:
        head = (f"Session: {summary.answered} answered, {summary.correct} right "
                f"({summary.percent:.0f}%).")
    lines = [head]
    if summary.misses:
        unique = list({c.id: c for c in summary.misses}.values())
        lines.append("Missed:")
        lines += [f"  {clean(c.question)} {clean(c.expected)}" for c in unique[:20]]
        if len(unique) > 20:
            lines.append(f"  ... and {len(unique) - 20} more")
    if summary.left:
        lines.append(f"{summary.left} due card{'s' if summary.left != 1 else ''} not yet asked: "
                     f"`trainer review` picks {'them' if summary.left != 1 else 'it'} up.")
    if summary.coming:
        one = summary.coming == 1
        lines.append(f"{summary.coming} card{'' if one else 's'} in learning come{'s' if one else ''} back within "
                     f"{LEARN_AHEAD.seconds // 60} minutes: `trainer review` asks {'it' if one else 'them'} again.")
    if summary.leeches:
        lines.append(f"New leeches (forgotten {LEECH_FAILS} times after learning; `trainer review --leeches` "
                     "drills them): " + "; ".join(clean(c.question) for c in summary.leeches))
    lines.append(f"Next card due {when(summary.next_due, now)}.")
    return lines


def quiz_lines(summary: Summary, total: int) -> list[str]:
    lines = [f"Score: {summary.correct}/{summary.answered}"
             + (f" ({summary.percent:.0f}%)" if summary.answered else "")
             + (f", stopped after {summary.answered} of {total}." if summary.ended_early else ".")]
    if summary.misses:
        lines.append("Misses:")
        lines += [f"  {clean(c.question)} {clean(c.expected)}" for c in summary.misses]
    return lines


def console() -> Console:
    """One Console per run; rich honours NO_COLOR and drops styling when output is not a terminal."""
    from rich.console import Console

    return Console(highlight=False, emoji=False, markup=False)


def print_lines(con: Console, lines: Iterable[str], style: str | None = None) -> None:
    from rich.padding import Padding
    from rich.text import Text

    for line in map(clean, lines):  # every line reaching a terminal, whoever built it: deck text is data
        if line.startswith("  ") and not style:  # notes: wrapped lines keep their indent
            con.print(Padding(Text(line.strip()), (0, 0, 0, 2)))
            continue
        text = Text(line)
        if line.startswith("✓"):
            text.stylize("bold green", 0, 1)
        elif line.startswith("✗"):
            text.stylize("bold red", 0, 1)
        elif style:
            text.stylize(style)
        con.print(text)


def wrap(text: str, width: int, indent: str = "", first: str = "") -> list[str]:
    """Lines of at most `width` characters, broken between words only (never inside a number or a bracket
    pair such as `[Again, next in 1m]`), later lines under `indent`."""
    import textwrap

    if width >= 10**5 or len(first + text) <= width:
        return [first + text]
    protected = re.sub(r"\[[^\]]*\]", lambda m: m.group(0).replace(" ", "\x00"), text)
    lines = textwrap.wrap(protected, width=width, initial_indent=first, subsequent_indent=indent,
                          break_long_words=False, break_on_hyphens=False)
    return [ln.replace("\x00", " ") for ln in lines] or [first]


def table_lines(header: list[str], rows: list[list[str]], width: int, numeric_from: int = 1) -> list[str]:
    """Aligned columns; only the last column wraps (at words, under its own start), so no count is ever hidden.
    When too little room is left for it, it goes on the lines below, indented."""
    cols = list(zip(header, *rows, strict=False)) if rows else [(h,) for h in header]
    widths = [max(len(c) for c in col) for col in cols[:-1]]
    lead = sum(widths) + 2 * len(widths)
    out = []
    for row in [header, *rows]:
        cells = [c.rjust(w) if i >= numeric_from else c.ljust(w)
                 for i, (c, w) in enumerate(zip(row, widths, strict=False))]
        left = "  ".join(cells) + ("  " if cells else "")
        if width - lead >= 24 or len(left + row[-1]) <= width:
            out += wrap(row[-1], width, " " * lead, left)
        else:
            out.append(left.rstrip())
            out += wrap(row[-1], width, "    ", "    ")
    return out


def deck_table(rows: list[DeckCounts], width: int, limits: dict[str, int], new_per_day: int) -> list[str]:
    """Decks in the order their new cards are handed out (the exam deck first), with each one's daily limit."""
    header = ["deck", "facts", "cards", "new", "new/day", "learning", "due", "suspended", "title"]
    order = sorted(rows, key=lambda r: r.name != "exam")
    body = [[clean(r.name), str(r.facts), str(r.cards), str(r.new),
             str(limits[r.name]) if r.name in limits else "shared", str(r.learning), str(r.due),
             str(r.suspended), clean(r.title)] for r in order]
    shared = (f"New cards: {new_per_day} a day across decks (`trainer settings new_per_day N`), the exam deck's "
              "first, then each deck in the order it was added; `shared` decks take what is left, a deck with its "
              "own limit never more than it (`trainer decks set NAME --new-per-day N`).")
    return [*table_lines(header, body, width), "", *wrap(shared, width, "")]


HEAT_GLYPHS = "·░▒▓█"
HEAT_STYLES = ("grey50", "green4", "green3", "green1", "bold bright_green")


def heat_levels(counts: list[int]) -> list[int]:
    """0 for no reviews, then 1-4 by quartile of the days that had reviews."""
    busy = sorted(c for c in counts if c)
    if not busy:
        return [0] * len(counts)
    q = [busy[min(len(busy) - 1, (len(busy) * k) // 4)] for k in (1, 2, 3)]
    return [0 if c == 0 else 1 + sum(c > x for x in q) for c in counts]


def heatmap_rows(days: list[dict[str, Any]]) -> list[tuple[str, list[int]]]:
    """A calendar: one row per weekday (Mon..Sun), one column per week, oldest on the left."""
    from datetime import date

    levels = heat_levels([d["reviews"] for d in days])
    first = date.fromisoformat(days[0]["date"])
    pad = first.weekday()
    cells: list[int | None] = [None] * pad + list(levels)
    weeks = (len(cells) + 6) // 7
    names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    rows = []
    for wd in range(7):
        rows.append((names[wd], [cells[w * 7 + wd] if w * 7 + wd < len(cells) else None for w in range(weeks)]))
    return rows  # type: ignore[return-value]


def month_header(days: list[dict[str, Any]]) -> str:
    from datetime import date

    first = date.fromisoformat(days[0]["date"])
    start = first.toordinal() - first.weekday()
    weeks = (len(days) + first.weekday() + 6) // 7
    line = [" "] * weeks
    last = None
    for w in range(weeks):
        d = date.fromordinal(start + 7 * w + 6)
        if d.month != last and w + 3 <= weeks and all(c == " " for c in line[max(w - 1, 0) : w + 3]):
            line[w : w + 3] = list(d.strftime("%b"))
            last = d.month
    return "".join(line[:weeks])


def scope_line(d: dict[str, Any]) -> str:
    """`stats --source`: how the facts of one source stand, in one line."""
    seen = d["cards"] - d["new"]
    memory = f", memory now {100 * d['avg_retrievability']:.0f}%" if d["avg_retrievability"] is not None else ""
    kept = (f", {100 * d['passed_30d'] / d['reviews_30d']:.0f}% kept in {d['reviews_30d']} reviews (30 days)"
            if d["reviews_30d"] else "")
    where = f" in deck {clean(d['deck'])}" if d.get("deck") else ""
    return (f"Facts whose source starts with '{clean(d['source'])}'{where}: {d['cards']} cards, {seen} studied, "
            f"{d['new']} new, {d['due']} due{memory}{kept}.")


def _exam_mark(exam: dict[str, Any] | None, day: str) -> tuple[str, str]:
    """The forecast's note on a day: the exam, or its final window."""
    if not exam or exam["past"]:
        return "", ""
    if day == exam["date"]:
        return "  <- exam", "bold"
    return ("  final window", "dim") if exam["window_start"] <= day < exam["date"] else ("", "")


def print_stats(con: Console, data: dict[str, Any]) -> None:
    """The stats screen; every picture also reads in plain text (glyphs, numbers) under NO_COLOR or a pipe."""
    from rich.text import Text

    if "scope" in data:  # what was asked for first; the rest of the screen is every deck's
        con.print(Text(scope_line(data["scope"]), style="bold"))
        con.print(Text("All decks:", style="dim"))
    t = data["today"]
    ret = data["retention_30d"]
    con.print(Text(f"Today: {t['done']} reviewed · {t['due']} due · {t['new_left']} new left    "
                   f"Streak: {data['streak']} day{'s' if data['streak'] != 1 else ''}", style="bold"))
    con.print("True retention, last 30 days: "
              + (f"{100 * ret['rate']:.1f}% of {ret['reviews']} reviews of cards in review" if ret["reviews"]
                 else "no reviews of cards in review yet"))
    drills = data.get("drills") or []
    drill_line = ["Drills, latest first: " + ", ".join(f"{d['kind']} {d['score']}/{d['total']}" for d in drills)
                  ] if drills else []
    for line in [*stats_lines(data), *(exam_lines(data["exam"]) if data.get("exam") else []), *drill_line]:
        con.print(Text(line) if isinstance(line, str) else line)
    con.print()
    header = ["deck", "new", "learning", "review", "due", "suspended", "memory now"]
    body = [[clean(name), str(d["new"]), str(d["learning"]), str(d["review"]), str(d["due"]), str(d["suspended"]),
             f"{100 * d['avg_retrievability']:.0f}%" if d["avg_retrievability"] is not None else "-"]
            for name, d in data["decks"].items()]
    for line in table_lines(header, body, con.width):
        con.print(Text(line))
    con.print(Text("memory now: FSRS's estimate of how likely you are to recall a studied card right now "
                   "(right after studying it is near 100%; it falls until the card is due).", style="dim"))
    con.print()
    con.print(Text(f"Due in the next {len(data['forecast'])} days", style="bold"))
    top = max([f["due"] for f in data["forecast"]] + [1])
    width = max(min(40, con.width - 20), 5)
    from datetime import date

    for f in data["forecast"]:
        d = date.fromisoformat(f["date"])
        bar = "█" * (round(width * f["due"] / top) if f["due"] else 0)
        bar_line = Text(f"  {d.strftime('%a %d')}  ")
        bar_line.append(bar, style="cyan")
        bar_line.append(f" {f['due']}")
        bar_line.append(*_exam_mark(data.get("exam"), f["date"]))
        con.print(bar_line)
    con.print()
    con.print(Text("Reviews, last 6 months", style="bold"))
    con.print(Text("      " + month_header(data["heatmap"])))
    for name, cells in heatmap_rows(data["heatmap"]):
        row = Text(f"  {name} ")
        for c in cells:
            row.append(" " if c is None else HEAT_GLYPHS[c], style=None if c is None else HEAT_STYLES[c])
        con.print(row)
    legend = Text("      less ")
    for g, st in zip(HEAT_GLYPHS, HEAT_STYLES, strict=False):
        legend.append(g, style=st)
    legend.append(" more")
    con.print(legend)
    if data["confusions"]:
        con.print()
        con.print(Text("Most confused", style="bold"))
        for c in data["confusions"]:
            times = f"{c['times']} time{'s' if c['times'] != 1 else ''}"
            con.print(Text(clean(f"  {c['a_name']} vs {c['b_name']}: {times}")))
    if data["leech_cards"]:
        con.print()
        con.print(Text(f"Leeches (forgotten {LEECH_FAILS} times or more)", style="bold"))
        for c in data["leech_cards"]:
            con.print(Text(clean(f"  {c['id']}")))


def stats_lines(data: dict[str, Any]) -> list[str]:
    return [
        f"Cards: {data['cards']} ({data['new']} new, {data['learning']} learning, "
        f"{data['review']} in review, {data['suspended']} suspended)",
        f"Due now: {data['due']}" + (f" (learning steps due within {LEARN_AHEAD.seconds // 60} minutes included, as "
                                     "review asks them)" if data["due"] else ""),
        f"Reviews: {data['reviews']}, {data['correct']} right"
        + (f" ({100 * data['correct'] / data['reviews']:.0f}%)" if data["reviews"] else "")
        + (f"; {plural(data['practice'], 'practice answer')} (quizzes, drills)" if data.get("practice") else ""),
    ]


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def plan_lines(p: Plan, settings: Settings, target: float, buffer_days: int, applied: int | None) -> list[str]:
    """What `trainer plan` says: the exam, predicted recall, the pace it takes, the reviews ahead; each figure
    says what it assumes, and --apply says what it set (it never lowers a limit)."""
    pct = lambda x: "-" if x is None else f"{100 * x:.0f}%"  # noqa: E731
    limit = settings.new_per_day
    lines = [
        f"Exam on {p.exam} ({plural(p.days_left, 'day')}): {plural(p.cards, 'card')}, {p.unseen} not seen yet.",
        f"Predicted recall on exam day: {pct(p.recall_if_stopped)} if you stop now; "
        f"{pct(p.recall_with_plan)} if you keep up with reviews and {plural(limit, 'new card')} a day "
        "(unseen cards count as not known).",
    ]
    late = p.days_left <= buffer_days  # the buffer is gone: no pace meets every card that early
    if not p.unseen:
        lines.append("Every card has been seen: reviews are all that is left.")
    elif late and p.new_per_day_needed <= limit:
        lines.append(f"Your {limit} new cards a day meet every card before the exam ({p.new_per_day_needed} a day "
                     "would do; plan never lowers your limit).")
    elif p.new_per_day_needed <= limit:
        lines.append(f"Your {limit} new cards a day meet every card {plural(buffer_days, 'day')} before the exam "
                     f"({p.new_per_day_needed} a day would do; plan never lowers your limit).")
    elif late:
        lines.append(f"To meet every card before the exam: {plural(p.new_per_day_needed, 'new card')} a day (now "
                     f"{limit}); --apply sets it.")
    else:
        lines.append(f"To meet every card {plural(buffer_days, 'day')} before the exam: "
                     f"{plural(p.new_per_day_needed, 'new card')} a day (now {limit}); --apply sets it.")
    lines.append(f"To reach {pct(target)} recall on the day: desired retention {p.retention_needed:.2f} "
                 f"(now {settings.desired_retention:.2f})." if p.retention_needed else
                 f"{pct(target)} recall on the day is out of reach at any retention with this schedule: "
                 "add new cards sooner.")
    if p.reviews_per_day:
        week = p.reviews_per_day[:7]
        lines.append(f"Reviews expected: {', '.join(map(str, week))} in the next {plural(len(week), 'day')}; "
                     f"at most {max(p.reviews_per_day)} a day, {sum(p.reviews_per_day)} in all.")
    if p.days_left <= buffer_days and p.unseen:
        lines.append(f"Fewer than {buffer_days + 1} days are left: meeting every card that early is no longer "
                     "possible; the pace above spreads them over the days you have.")
    if applied is not None:
        raised = f"new_per_day = {applied}" if applied > limit else f"new_per_day stays {limit} (never lowered)"
        lines.append(f"Applied: {raised}"
                     + (f", desired_retention = {p.retention_needed:.2f}." if p.retention_needed else ".")
                     + " `trainer settings` shows and changes them.")
    return lines

"""The `trainer` command: thin click commands over the library; errors become one line and an exit code."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from trainer import __version__
from trainer.clock import end_of_day, local_tz, now, start_of_day, study_day
from trainer.deck import KINDS
from trainer.errors import TrainerError

DEFAULT_DECK = "exam"


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TrainerError as e:
            click.echo(f"Error: {_clean(str(e))}", err=True)
            ctx.exit(e.exit_code)
        except sqlite3.Error as e:
            click.echo(f"Error: database: {_clean(str(e))}", err=True)
            ctx.exit(1)
        except BrokenPipeError:
            # `trainer cards | head`: the reader left; say nothing (Python's advice: point stdout at devnull)
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(1)
        except OSError as e:
            click.echo(f"Error: {_clean(str(e.filename or ''))}: {e.strerror or e}", err=True)
            ctx.exit(1)


def _clean(text: str) -> str:
    from trainer.render import clean

    return clean(text)


def _width() -> int:
    """The terminal's width; a pipe gets whole lines."""
    import shutil

    return shutil.get_terminal_size().columns if sys.stdout.isatty() else 10**6


def db_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
                        help="Database file (default: $TRAINER_HOME/trainer.db or the user data dir).")(f)


MAX_COUNT = 100_000  # cards in one command: more than any deck asks in a day (2**63 overflowed SQLite)
PLAN_MAX_DAYS = 3650  # plan simulates every day until the exam: ten years take 0.6 s


def _open(db_path: Path | None, readonly: bool = False, create: bool = True) -> Any:
    """Reading commands never create or convert a file (a missing `--db` is an error, the default location
    reads as empty); writing ones create a database only where `create` and, for `--db`, in an existing folder."""
    from trainer.db import open_db, open_for_reading
    from trainer.paths import db_path as resolve

    path = resolve(db_path)
    if readonly:
        db = open_for_reading(path, missing_ok=db_path is None)
    else:
        db = open_db(path, create=create, make_dirs=db_path is None)
        if db.created and db_path is not None:  # a mistyped --db is seen at once
            click.echo(f"Created a new database at {_clean(str(path))}.", err=True)
        db.on_wait = lambda: click.echo("Waiting for another trainer command (an import?) to finish writing...",
                                        err=True)
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.call_on_close(db.close)  # checkpoint the WAL and release the file when the command ends
    return db


def _import_bundled(db: Any, name: str, out: Callable[[str], None]) -> None:
    from trainer import bundled

    summary = bundled.install(db, name, now())
    out(f"Imported the bundled deck '{name}': {summary.added} facts, {summary.cards} cards.")


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="trainer")
def cli() -> None:
    """Flashcards and quizzes for IT certification study: TCP/UDP ports, scheduled with FSRS."""


def _session_io(plain: bool | None) -> tuple[bool, Any, Callable[[str], None]]:
    """Plain when asked or when stdin is not a terminal; returns (plain, rich console or None, line printer)."""
    from trainer import render

    plain = (not sys.stdin.isatty()) if plain is None else plain
    con = None if plain else render.console()

    def out(line: str) -> None:
        if con is None:
            click.echo(render.clean(line))
        else:
            render.print_lines(con, [line])

    return plain, con, out


def _prompter(plain: bool, con: Any) -> Any:
    if plain:
        from trainer.prompts import PlainPrompter

        return PlainPrompter()
    from trainer.prompts import TerminalPrompter

    return TerminalPrompter(con)


def source_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--source", metavar="TEXT",
                        help="Only facts whose source starts with TEXT: N10-009, 'N10-009 1.4', Security+, RFC.")(f)


def _scope(db: Any, deck: str | None, source: str | None) -> Any:
    """What a command works on: a deck name, or a Scope when --source narrows it; a source no fact has is an
    error that lists the ones there are."""
    from trainer import store

    if source is None:
        return deck
    scope = store.Scope(deck, source.strip())
    if not scope.source or not store.find_cards(db, scope, with_suspended=True, limit=1):
        known = ", ".join(f"{w} ({n} facts)" for w, n in list(store.source_prefixes(db).items())[:8])
        raise TrainerError(f"no card's fact has a source starting with '{source}'"
                           + (f" (sources start with: {known})" if known else ""))
    return scope


def _replay_shared(db: Any) -> None:
    """After a setting that shapes schedules: the cards several devices reviewed are replayed with it, as every
    other device does when the setting reaches it."""
    from trainer import store
    from trainer.history import rebuild_mixed

    rebuild_mixed(db, store.schedule_params(db))


def _session_params(db: Any, settings: Any) -> Any:
    """The scheduler's knobs for a session: exam mode, breaks, and (smoothing) the reviews due on each day ahead,
    so the fuzz range's least loaded day is taken."""
    from dataclasses import replace

    from trainer import store

    params = store.schedule_params(db, settings)
    return replace(params, load=store.load_by_day(db)) if settings.smoothing else params


def _nothing_to_study(db: Any, deck: Any, new: int | None, settings: Any, t: datetime, run_id: str,
                      day_start: Callable[[datetime], datetime]) -> str:
    """Why a session has nothing to ask, and what would give it something."""
    from trainer import pace, render, store
    from trainer.pace import exam_status

    nxt = store.next_due(db, deck, day_start)
    if nxt:
        return f"Nothing due. Next card due {render.when(nxt, t)}. (--ahead N studies early, --extra N adds new cards.)"
    busy = pace.claimed_elsewhere(db, run_id, t)
    if busy:
        return (f"Nothing to study here: another trainer session is studying today's next {len(busy)} new cards "
                "(--extra N adds others).")
    if new == 0:
        return "Nothing due, and --new 0 asks for no new cards."
    exam = exam_status(db, t, local_tz(), settings, recall=False)
    if exam is not None and exam["days_left"] == 0:
        return "The exam is today: no new cards, nothing due. Good luck."
    return (f"Nothing to study: today's {settings.new_per_day} new cards, shared by every deck, are met "
            "(--extra N adds more; `trainer decks` shows how decks share them).")


def _header(db: Any, queue: list[Any], settings: Any, t: datetime, out: Callable[[str], None],
            new: int | None, extra: int) -> None:
    """What today's session holds, and the exam it aims at."""
    from trainer import render, session
    from trainer.pace import exam_status

    out(render.header_line(*session.queue_counts(queue), settings.new_per_day, new, extra))
    exam = exam_status(db, t, local_tz(), settings, recall=False)
    if exam is not None and not exam["past"]:
        out(render.exam_lines(exam, short=True)[0])


def _ensure_deck(db: Any, deck: str | None, out: Callable[[str], None]) -> None:
    """A bundled deck is imported on first use (an empty database gets the exam deck), and brought up to
    date when trainer was upgraded since."""
    from trainer import bundled, store
    from trainer.paths import bundled_deck_names

    for line in bundled.refresh(db, now()):
        out(line)
    decks = store.deck_names(db)
    if deck and deck not in decks:
        if deck in bundled_deck_names():
            _import_bundled(db, deck, out)
        else:
            raise TrainerError(f"no deck named '{deck}' (yours: {', '.join(decks) or 'none yet'}; "
                               f"bundled: {', '.join(bundled_deck_names())})")
    elif not store.has_cards(db):
        _import_bundled(db, DEFAULT_DECK, out)


plain_option = click.option("--plain/--interactive", default=None,
                            help="Plain: one answer per line on stdin (the default when stdin is not a terminal).")


@cli.command(short_help="Study what is due, then new cards.")
@click.option("--deck", help="Study only this deck.")
@click.option("--new", "new", type=click.IntRange(0, MAX_COUNT),
              help="New cards for this session, in place of what today's limit leaves.")
@click.option("--extra", type=click.IntRange(0, MAX_COUNT), default=0, help="New cards beyond today's limit.")
@click.option("--ahead", type=click.IntRange(1, MAX_COUNT), help="Then study the N cards due soonest.")
@click.option("--choice/--typed", default=None, help="Multiple choice (four options) instead of typing.")
@click.option("--confusions", is_flag=True, help="Drill the pairs you confuse most, side by side.")
@click.option("--leeches", is_flag=True, help="Drill the cards you keep failing.")
@click.option("--missed", is_flag=True, help="Practise what drills and quizzes found forgotten (last 14 days).")
@click.option("--seed", type=int, help="Fix the order of multiple-choice options.")
@click.option("--count-as-review", is_flag=True,
              help="In a --confusions or --leeches drill, let cards that are not due move the schedule too.")
@source_option
@plain_option
@db_option
def review(deck: str | None, new: int | None, extra: int, ahead: int | None, choice: bool | None,
           confusions: bool, leeches: bool, missed: bool, seed: int | None, count_as_review: bool,
           source: str | None, plain: bool | None, db_path: Path | None) -> None:
    """Study the cards that are due, then new ones."""
    from trainer import pace, render, session, store

    plain, con, out = _session_io(plain)
    db = _open(db_path)
    _ensure_deck(db, deck, out)
    deck = _scope(db, deck, source)
    settings = store.settings(db)
    t = now()

    def day_start(at: datetime) -> datetime:
        return start_of_day(at, local_tz(), settings.day_starts_at)

    run_id = pace.new_session_id()  # this session: its new cards are not handed out by another one
    headings: dict[str, list[str]] = {}  # said after the answer to each pair's first card
    queue: list[Any]
    if confusions:
        queue = []
        for heading, cards in session.confusion_queue(db, deck):
            headings.setdefault(cards[0].id, []).append(heading)
            queue += cards
        if not queue:
            out("No confusions recorded yet: they are noted when a wrong answer is another card's answer.")
            return
    elif leeches or missed:
        queue = session.leech_queue(db, deck) if leeches else store.missed_in_practice(db, t - timedelta(days=14), deck)
        if not queue:
            out(f"No leeches: no active card has been forgotten {store.LEECH_FAILS} times after it was learned."
                if leeches else "Nothing missed in drills or quizzes in the last 14 days that review has not asked "
                                "since.")
            return
    else:
        queue = session.build_queue(db, t, settings, local_tz(), deck, new, extra, session=run_id)
        if queue:
            _header(db, queue, settings, t, out, new, extra)
        if ahead:  # after what is due and new, never instead of it (a new card used to swallow --ahead silently)
            asked = {c.id for c in queue}
            early = [c for c in session.ahead_queue(db, ahead + len(queue), deck) if c.id not in asked][:ahead]
            if early:
                what = "Then" if queue else "Nothing due:"
                out(f"{what} studying the {len(early)} card{'s' if len(early) != 1 else ''} due soonest.")
            queue += early
    if not queue:
        out(_nothing_to_study(db, deck, new, settings, t, run_id, day_start))
        return
    use_choice = settings.choice if choice is None else choice
    drill = confusions or leeches or missed
    options = session.Options(choice=use_choice, seed=seed, practice_unless_due=drill and not count_as_review)
    refill = None if drill else (
        lambda t: store.due_cards(db, t, 50, deck, end_of_day(t, local_tz(), settings.day_starts_at)))
    try:
        result = session.run(db, _prompter(plain, con), queue, now, time.monotonic, _session_params(db, settings),
                             options, deck, headings, refill, day_start)
    finally:
        store.release(db, run_id)
    for line in render.summary_lines(result, now()):
        out(line)


@cli.command(short_help="Take an exam-style practice test.")
@click.option("--deck", help="Quiz on this deck (default: all).")
@click.option("--count", type=click.IntRange(1, MAX_COUNT), default=20, show_default=True, help="Questions.")
@click.option("--kind", type=click.Choice([k.value for k in KINDS]), help="Only this kind of question.")
@click.option("--choice", is_flag=True, help="Multiple choice.")
@click.option("--seed", type=int, help="Same seed, same questions in the same order.")
@click.option("--count-as-review", is_flag=True, help="Let the answers move the FSRS schedule.")
@source_option
@plain_option
@db_option
def quiz(deck: str | None, count: int, kind: str | None, choice: bool, seed: int | None,
         count_as_review: bool, source: str | None, plain: bool | None, db_path: Path | None) -> None:
    """An exam-style practice test: N questions, a score and your misses; the schedule is left alone."""
    import random

    from trainer import render, session, store

    plain, con, out = _session_io(plain)
    db = _open(db_path)
    _ensure_deck(db, deck, out)
    deck = _scope(db, deck, source)
    rng = random.Random(seed)
    queue = session.quiz_queue(db, count, rng, deck, kind)
    if not queue:
        raise TrainerError("no cards match that quiz")
    options = session.Options(mode=store.Mode.REVIEW if count_as_review else store.Mode.PRACTICE, choice=choice,
                              requeue=False,
                              rate=False, seed=rng.randrange(2**32))
    result = session.run(db, _prompter(plain, con), queue, now, time.monotonic,
                         store.schedule_params(db), options, deck)
    for line in render.quiz_lines(result, len(queue)):
        out(line)


@cli.command(short_help="Exam-shaped drills: match, choose, dump, firewall, netstat.")
@click.argument("kind", required=False,
                type=click.Choice(["match", "choose", "dump", "firewall", "rules", "netstat"]))
@click.option("--deck", default="exam", show_default=True, help="The deck whose port facts the drills use.")
@click.option("--count", type=click.IntRange(1, 100), default=3, show_default=True, help="Drills in a row.")
@click.option("--family", help="dump: the family to write down (mail, remote-access, ...).")
@click.option("--seed", type=int, help="Same seed, same drills.")
@plain_option
@db_option
def drill(kind: str | None, deck: str, count: int, family: str | None, seed: int | None, plain: bool | None,
          db_path: Path | None) -> None:
    """Drills shaped like the exam's performance-based questions, from a deck's port facts. Their answers are
    practice (the schedule does not move) but what they find forgotten comes first in the next review.

    \b
    match:  a) SMTP   1) 993/tcp      answer: a3 b1 c6 ...
            b) IMAPS  2) 389/tcp
    choose: Which of these are encrypted?  1) LDAPS 2) Telnet 3) SSH ...   answer: 1 3
    dump:   Write every port of the mail family.   answer: SMTP 25, POP3 110, IMAP 143, ...
    firewall: A DMZ web server must serve HTTPS, be managed over SSH from 10.0.0.5 only and send to Syslog on
            10.0.0.9; nothing else.   answer: allow tcp 443; allow tcp 22 from 10.0.0.5; allow udp 514 to 10.0.0.9
            (also `ufw allow 443/tcp`, `ufw allow from 10.0.0.5 to any port 22 proto tcp`,
            Cisco's `permit tcp any any eq 443`, `permit udp any host 10.0.0.9 eq syslog`,
            iptables' `-A INPUT -p tcp -s 10.0.0.5 --dport 22 -j ACCEPT`; ranges `5060-5061`, lists `445,22`)
    rules:  the same scenario and a rule list with mistakes: which lines are wrong?   answer: 2 5
    netstat: `ss -tuapn` of a server: which service listens on each port (answer: 22 SSH, 443 HTTPS), which
            port should be closed (answer: 23), which connection goes out to the syslog server (10.0.0.9:514)
    """
    import random

    from trainer import drill as dr
    from trainer import render, store

    plain, con, out = _session_io(plain)
    db = _open(db_path)
    if kind in dr.ROLE_KINDS and deck != "exam":
        raise TrainerError(f"{kind} drills use the server roles, made of the exam deck's facts: leave out --deck")
    _ensure_deck(db, deck, out)
    facts = store.facts(db, deck)
    if not [f for f in facts if f.is_port]:
        raise TrainerError(f"deck '{deck}' has no port facts to drill")
    fams = dr.families(facts)
    if family is not None and family not in fams:
        raise TrainerError(f"no family '{family}' in {deck} (families: {', '.join(fams)})")
    rng = random.Random(seed)
    prompter = _prompter(plain, con)
    score = total = 0
    kinds = [kind] if kind else [k for k in dr.KINDS if k not in dr.ROLE_KINDS or deck == "exam"]
    for n in range(1, count + 1):
        try:
            d = dr.make_one_of(kinds, facts, rng, family)
        except dr.DrillError as e:
            raise TrainerError(f"deck '{deck}': {e}") from None
        for line in [f"({n}/{count}) {d.title}", *d.lines, f"  ({d.how})"]:
            out(render.clean(line))
        answer = prompter.ask_text(">")
        if answer is None:
            break
        if not answer.strip():  # an Enter out of habit: the drill is skipped, nothing counted
            out("  (skipped)")
            continue
        g = dr.grade(d, answer, facts)
        for line in g.lines:
            out(render.clean(line))
        confused = dict(g.confused)
        store.record_drill(db, now(), d.kind, deck, g.score, g.total,
                           [(f.key, f.key not in g.missed, confused.get(f.key)) for f in d.facts], answer)
        score, total = score + g.score, total + g.total
    if total:
        out(f"Drills: {score} of {total} ({100 * score // total}%)." + (
            " What they found forgotten comes first in your next review (`trainer review --missed` practises it "
            "now)." if score < total else ""))


@cli.command(short_help="Take back the last answer.")
@db_option
def undo(db_path: Path | None) -> None:
    """Take back the last answer: the card is rebuilt from the reviews left (the answer stays in the log, cancelled)."""
    from trainer import history, render, store

    db = _open(db_path, create=False)
    undone = history.undo(db, store.schedule_params(db), now())
    if undone is None:
        raise TrainerError("nothing to undo: no answers recorded")
    card = store.card_by_id(db, undone.card_id)
    question = render.clean(session_question(db, card)) if card else undone.card_id
    t = now()
    due = (render.when_due(undone.state, t, end_of_day(t, local_tz(), store.settings(db).day_starts_at))
           if undone.state.due else "as a new card")
    click.echo(f"Took back your answer '{render.clean(undone.answer)}' to: {question} The card is due {due}.")


def session_question(db: Any, card: Any) -> str:
    from trainer.session import spec_for

    return spec_for(db, card).question


@cli.command(short_help="List cards with their ids, states and due dates.")
@click.option("--deck", help="Only this deck.")
@click.option("--suspended", is_flag=True, help="Suspended cards.")
@click.option("--leeches", is_flag=True, help="Cards failed often (leeches).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@source_option
@db_option
def cards(deck: str | None, suspended: bool, leeches: bool, as_json: bool, source: str | None,
          db_path: Path | None) -> None:
    """List cards: their id (for suspend/unsuspend), question, state and due date."""
    from trainer import render, store
    from trainer.clock import iso
    from trainer.scheduler import State

    db = _open(db_path, readonly=True)
    rows = store.find_cards(db, _scope(db, deck, source), suspended=suspended, with_suspended=True, leeches=leeches)
    t = now()
    chosen = {d: store.chosen_kinds(db, d) for d in {c.deck for c in rows if c.suspended == store.Suspension.REMOVED}}

    def state(c: Any) -> str:
        """Set aside by the learner, or by the deck: its fact left the file, or its kind is switched off."""
        if c.suspended == store.Suspension.REMOVED:
            kinds = chosen[c.deck]
            return "kind off" if kinds is not None and c.kind not in kinds else "not in file"
        return "suspended" if c.suspended == store.Suspension.SET_ASIDE else State(c.state.state).label

    data = [{"id": c.id, "question": session_question(db, c), "state": state(c),
             "due": iso(c.state.due) if c.state.due else None, "reps": c.reps, "lapses": c.lapses} for c in rows]
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=True))
        return
    if not data:
        from trainer.paths import bundled_deck_names

        waiting = deck in bundled_deck_names() and deck not in store.deck_names(db)
        click.echo(f"No cards match: the bundled deck '{deck}' is not studied yet (`trainer review --deck {deck}` "
                   "starts it)." if waiting else "No cards match.")
        return
    day_end = end_of_day(t, local_tz(), store.settings(db).day_starts_at)
    body = [[str(d["id"]), str(d["state"]), render.when_due(c.state, t, day_end), str(d["question"])]
            for d, c in zip(data, rows, strict=True)]
    if sum(max(len(r[i]) for r in body) for i in range(3)) + 6 > _width():  # a long id: `in 59s` without the date
        for r in body:
            r[2] = r[2].split(" (")[0]
    for line in render.table_lines(["id", "state", "due", "question"], [[render.clean(x) for x in r] for r in body],
                                   _width(), numeric_from=99):
        click.echo(line)


@cli.command(short_help="Set cards aside.")
@click.argument("card_ids", nargs=-1, required=True)
@db_option
def suspend(card_ids: tuple[str, ...], db_path: Path | None) -> None:
    """Set cards aside: they are not asked until unsuspended. An id may be a pattern: 'exam/*/range'."""
    _suspend(card_ids, True, db_path)


@cli.command(short_help="Bring suspended cards back.")
@click.argument("card_ids", nargs=-1, required=True)
@db_option
def unsuspend(card_ids: tuple[str, ...], db_path: Path | None) -> None:
    """Bring suspended cards back into study. An id may be a pattern: 'exam/*/range'."""
    _suspend(card_ids, False, db_path)


def _suspend(card_ids: tuple[str, ...], on: bool, db_path: Path | None) -> None:
    from trainer import store

    db = _open(db_path, create=False)
    ids: list[str] = []
    for arg in card_ids:
        if any(c in arg for c in "*?["):  # a pattern: `exam/*/range`
            matched = store.card_ids_matching(db, arg)
            if not matched:
                raise TrainerError(f"no card matches '{arg}' (`trainer cards` lists ids)")
            ids += matched
        else:
            ids.append(arg)
    card_ids = tuple(dict.fromkeys(ids))
    rows = {c: store.card_by_id(db, c) for c in card_ids}
    unknown = [c for c, r in rows.items() if r is None]
    if unknown:
        raise TrainerError(f"no card with id '{unknown[0]}' (`trainer cards` lists ids)")
    removed = [c for c, r in rows.items() if r is not None and r.suspended >= store.Suspension.REMOVED]
    if removed and not on:
        raise TrainerError(f"'{removed[0]}' left its deck's file: put the fact back in the file and import it again")
    n = store.set_suspended(db, card_ids, on, now())
    click.echo(f"{'Suspended' if on else 'Restored'} {n} card{'s' if n != 1 else ''}.")


@cli.command(name="import", short_help="Import YAML, CSV/TSV, services or .apkg decks.")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--deck", "name", help="Deck name (default: from the file).")
@click.option("--prune", is_flag=True, help="Delete facts gone from the file, with their reviews (asks first).")
@click.option("--yes", is_flag=True, help="Do not ask before pruning.")
@click.option("--replace", is_flag=True, help="Update a deck of the same name that came from another file.")
@db_option
def import_(files: tuple[Path, ...], name: str | None, prune: bool, yes: bool, replace: bool,
            db_path: Path | None) -> None:
    """Import decks: YAML, CSV/TSV, an /etc/services file, or an Anki .apkg. Re-importing keeps every review."""
    from trainer import store
    from trainer.file_import import read_deck

    if name and len(files) > 1:
        raise click.UsageError("--deck names one deck: import one file at a time with it")
    if prune and not yes and not sys.stdin.isatty():
        raise TrainerError("--prune deletes reviews and asks first: add --yes to confirm without a terminal")
    decks = [read_deck(f, name) for f in files]  # read and validate everything before writing anything
    for d in decks:
        for w in d.warnings:
            click.echo(_clean(w), err=True)
    db = _open(db_path)
    bundled = store.bundled_decks(db)
    for d in decks:
        source = store.deck_source(db, d.name)
        if source is None or replace:
            continue
        other_file = Path(source).name != Path(d.source).name or (  # or: a file of yours called exam.yaml
            d.name in bundled and Path(source).resolve() != Path(d.source).resolve())
        if other_file and d.name in bundled:
            raise TrainerError(f"'{d.name}' is a deck that comes with trainer: --deck NAME imports "
                               f"{Path(d.source).name} as a new deck, --replace puts it in the bundled deck's place")
        if other_file:
            raise TrainerError(f"a deck named '{d.name}' already exists, imported from {Path(source).name}: "
                               f"--deck NAME imports {Path(d.source).name} as a new deck, --replace updates "
                               f"'{d.name}' from it")
    from trainer.db import backup
    from trainer.import_plan import plan

    if replace and any(store.deck_source(db, d.name) is not None for d in decks):
        backup(db, "replace")
    params = store.settings(db).params()
    summaries = store.import_decks(db, [plan(d, store.chosen_kinds(db, d.name), params=params) for d in decks],
                                   now())
    for s in summaries:
        dropped = (f" {s.cards_set_aside} cards of question kinds no longer in `kinds:` set aside."
                   if s.cards_set_aside else "")
        history = f" {s.history} past reviews kept, and the cards scheduled from them." if s.history else ""
        click.echo(f"{s.deck}: {s.added} added, {s.updated} updated, {s.unchanged} unchanged, "
                   f"{s.suspended} suspended; {s.cards} cards.{dropped}{history}")
    if prune:
        _prune(db, [d.name for d in decks], yes)


def _prune(db: Any, deck_names: list[str], yes: bool) -> None:
    """Delete the facts that left these decks' files, asking first unless --yes."""
    from trainer import store

    gone = [fid for name in deck_names for fid in store.removed_facts(db, name)]
    if not gone:
        click.echo("Nothing to prune.")
        return
    if not yes:
        for fid in gone[:20]:
            click.echo(f"  {_clean(fid)}")
        if len(gone) > 20:
            click.echo(f"  ... and {len(gone) - 20} more")
        click.confirm(f"Delete these {len(gone)} facts, no longer in the file, and all their reviews?", abort=True)
    from trainer.db import backup

    backup(db, "prune")
    click.echo(f"Pruned {store.prune_facts(db, gone, now())} facts.")


@cli.command(short_help="Write a deck as YAML, CSV or an Anki package.")
@click.argument("deck")
@click.option("--format", "fmt", type=click.Choice(["yaml", "csv", "apkg"]), default="yaml", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: stdout for yaml and csv, DECK.apkg for apkg).")
@db_option
def export(deck: str, fmt: str, output: Path | None, db_path: Path | None) -> None:
    """Write a deck as YAML or CSV (both import back unchanged) or as an Anki package."""
    from trainer import file_export as ex
    from trainer import store

    db = _open(db_path, readonly=True)
    d = store.deck_of(db, deck)
    if d is None:
        raise TrainerError(f"no deck named '{deck}'")
    d = ex.with_accepted(d, store.accepted_answers(db, deck))  # answers accepted in study travel with the deck
    if fmt == "apkg":
        target = output or Path(f"{deck}.apkg")
        n = ex.to_apkg(d, target, store.studied(db, deck))
        click.echo(f"Wrote {target}: {n} notes.", err=True)
        return
    text = ex.to_yaml(d) if fmt == "yaml" else ex.to_csv(d)
    if output is None:
        if sys.stdout.isatty():  # shown, not saved: nothing in it may act on the terminal
            from trainer.render import clean_lines

            text = clean_lines(text)
        sys.stdout.write(text)  # in a pipe, the file's exact bytes (click.echo would strip escape sequences)
        sys.stdout.flush()
        return
    ex.write_atomic(output, lambda tmp: tmp.write_text(text, encoding="utf-8", newline=""))
    click.echo(f"Wrote {output}: {len(d.facts)} facts.", err=True)


@cli.group(invoke_without_command=True, short_help="List decks (show NAME, remove NAME).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@db_option
@click.pass_context
def decks(ctx: click.Context, as_json: bool, db_path: Path | None) -> None:
    """List decks with their new, learning and due counts (or: decks show NAME, decks remove NAME)."""
    if ctx.invoked_subcommand is not None:
        return
    from dataclasses import asdict

    from trainer import store

    db = _open(db_path, readonly=True)
    t = now()
    rows = store.deck_counts(db, t, end_of_day(t, local_tz(), store.settings(db).day_starts_at))
    if as_json:
        limits = store.deck_new_limits(db)
        click.echo(json.dumps([{**asdict(r), "new_per_day": limits.get(r.name)} for r in rows], indent=2))
        return
    if not rows:
        click.echo("No decks yet: `trainer review` imports the exam deck, `trainer import FILE` adds yours.")
        return
    from trainer import render

    for line in render.deck_table(rows, _width(), store.deck_new_limits(db), store.settings(db).new_per_day):
        click.echo(line)
    from trainer.paths import bundled_deck_names

    waiting = [n for n in bundled_deck_names() if n not in {r.name for r in rows}]
    if waiting:
        for line in render.wrap(f"Bundled, not studied yet: {', '.join(waiting)} (`trainer review --deck NAME` "
                                "starts one).", _width()):
            click.echo(line)


@decks.command(name="show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@db_option
def decks_show(name: str, as_json: bool, db_path: Path | None) -> None:
    """A deck's details and its facts."""
    from dataclasses import asdict

    from trainer import render, store
    from trainer.cards import port_list

    db = _open(db_path, readonly=True)
    d = store.deck_of(db, name)
    if d is None:
        raise TrainerError(f"no deck named '{name}'")
    t = now()
    counts = next(r for r in store.deck_counts(db, t, end_of_day(t, local_tz(), store.settings(db).day_starts_at))
                  if r.name == name)
    chosen = store.chosen_kinds(db, name)
    if as_json:
        click.echo(json.dumps({**d.to_dict(), "source": d.source, "counts": asdict(counts)}, indent=2,
                              ensure_ascii=True))
        return
    out = [f"{d.name}: {d.title}", *([d.description] if d.description else []),
           f"source: {d.source or '-'}", f"question kinds: {', '.join(chosen or d.kinds)}"
           + (f" (your choice; the deck's own: {', '.join(d.kinds)})" if chosen else ""),
           f"{counts.facts} facts, {counts.cards} cards: {counts.new} new, {counts.learning} learning, "
           f"{counts.due} due, {counts.suspended} suspended", ""]
    for f in d.facts[:50]:
        out.append(f"  {f.key}: {f.service} {port_list(f.ports)}/{f.transport}" if f.is_port
                   else f"  {f.key}: {f.service} = {f.numbering} {f.number}" if f.is_number
                   else f"  {f.key}: {f.front} = {f.back}")
    if len(d.facts) > 50:
        out.append(f"  ... and {len(d.facts) - 50} more (`trainer export {name}` shows all)")
    for line in out:
        click.echo(render.clean(line))


@decks.command(name="set")
@click.argument("name")
@click.option("--kinds", help=f"Question kinds to ask, comma-separated ({','.join(KINDS)}), or `all` for the "
                               "deck's own.")
@click.option("--new-per-day", metavar="N|shared",
              help="New cards a day from this deck at most (`shared`: no limit of its own, the global one).")
@db_option
def decks_set(name: str, kinds: str | None, new_per_day: str | None, db_path: Path | None) -> None:
    """Choose which kinds of question a deck asks (cards switched off are set aside with their history), or its
    own daily new-card limit."""
    from trainer import store
    from trainer.import_plan import parse_kinds, plan

    if kinds is None and new_per_day is None:
        raise TrainerError("say what to set: --kinds K,K or --new-per-day N")
    db = _open(db_path, create=False)
    deck = store.deck_of(db, name)
    if deck is None:
        raise TrainerError(f"no deck named '{name}'")
    if new_per_day is not None:
        limit = _deck_limit(new_per_day)
        store.set_deck_new_limit(db, name, limit)
        said = "shares the daily new-card limit" if limit is None else f"at most {limit} new cards a day"
        click.echo(f"{name}: {said}.")
    if kinds is None:
        return
    chosen = parse_kinds(kinds, deck)
    s = store.import_decks(db, [plan(deck, chosen, choose=True, bundled_sha1=store.bundled_decks(db).get(name))],
                           now())[0]
    aside = f" {s.cards_set_aside} set aside, their history kept." if s.cards_set_aside else ""
    click.echo(f"{name}: asks {', '.join(chosen)}; {s.cards} cards.{aside}")


def _deck_limit(text: str) -> int | None:
    if text.strip().casefold() in ("shared", "none", "default"):
        return None
    if not (text.strip().isascii() and text.strip().isdigit()) or int(text) > MAX_COUNT:
        raise TrainerError(f"--new-per-day {text!r}: give a whole number from 0 to {MAX_COUNT:,}, or `shared`")
    return int(text)


@decks.command(name="remove")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask first.")
@db_option
def decks_remove(name: str, yes: bool, db_path: Path | None) -> None:
    """Take a deck out of study and out of every listing; its reviews stay in the log."""
    from trainer import store
    from trainer.db import backup

    db = _open(db_path, create=False)
    if store.deck_of(db, name) is None:
        raise TrainerError(f"no deck named '{name}'")
    if not yes:
        if not sys.stdin.isatty():
            raise TrainerError(f"removing '{name}' takes it out of study: add --yes to confirm")
        click.confirm(f"Remove deck '{name}' from study?", abort=True)
    backup(db, "decks-remove")
    n = store.remove_deck(db, name, now())
    click.echo(f"Removed deck '{name}'; its {n} reviews stay in the log (importing it again brings it back).")


@cli.command(short_help="Progress: today, streak, forecast, heatmap.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--deck", help="With --source: only this deck's facts.")
@source_option
@db_option
def stats(as_json: bool, deck: str | None, source: str | None, db_path: Path | None) -> None:
    """Today, streak, retention, decks, the 14-day forecast, a review heatmap, confusions and leeches; with
    --source, how the facts of that source stand."""
    from trainer import stats as st
    from trainer import store

    db = _open(db_path, readonly=True)
    data = st.collect(db, now(), local_tz(), store.settings(db))
    if source is not None:
        data["scope"] = st.scoped(db, _scope(db, deck, source), now(), local_tz(), store.settings(db))
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=True))
        return
    from trainer import render

    render.print_stats(render.console(), data)


def _exam_options(day: str | None, decks: tuple[str, ...], source: str | None, clear: bool) -> tuple[str, ...]:
    """`trainer exam`'s options that make sense together; the decks once each."""
    if clear and (day or decks or source is not None):
        raise TrainerError("--clear forgets the exam: give it alone")
    if day is None and (decks or source is not None):
        raise TrainerError("--deck and --source go with the exam date: `trainer exam YYYY-MM-DD --deck D`")
    if any(not d.strip() for d in decks):
        raise TrainerError("--deck needs a deck name")
    return tuple(dict.fromkeys(decks))


@cli.command(short_help="Set the exam date: new cards and reviews aim at it.")
@click.argument("day", required=False)
@click.option("--deck", "decks", multiple=True, help="The exam's decks (default: exam); repeat for several.")
@click.option("--source", metavar="TEXT", help="Only the exam decks' facts whose source starts with TEXT.")
@click.option("--clear", is_flag=True, help="Forget the exam: plain FSRS again.")
@db_option
def exam(day: str | None, decks: tuple[str, ...], source: str | None, clear: bool, db_path: Path | None) -> None:
    """Store the exam date (YYYY-MM-DD): new cards are paced to meet every exam card 7 days before it, and each
    card's last review before it falls in the final days; without DATE, show the exam."""
    from trainer import render, store
    from trainer.pace import exam_status

    decks = _exam_options(day, decks, source, clear)
    writing = day is not None or clear
    db = _open(db_path, readonly=not writing, create=writing)
    t = now()
    if clear:
        store.set_setting(db, "exam_date", None, t)
        _replay_shared(db)
        click.echo("Exam cleared: scheduling is plain FSRS again (dates already set stay as they are).")
        return
    if day is not None:
        try:
            when = date.fromisoformat(day.strip())
        except ValueError:
            raise TrainerError(f"{day!r} is not a date: give the exam day as YYYY-MM-DD") from None
        today = study_day(t, local_tz(), store.settings(db).day_starts_at)
        if when <= today:
            raise TrainerError(f"{when} is not in the future")
        if (when - today).days > PLAN_MAX_DAYS:
            raise TrainerError(f"{when} is more than {PLAN_MAX_DAYS // 365} years away")
        chosen = decks or ("exam",)
        for name in chosen:
            _ensure_deck(db, name, click.echo)
        if source is not None and not store.find_cards(db, store.Scope(source=source, decks=chosen), limit=1):
            raise TrainerError(f"no card of {', '.join(chosen)} has a source starting with '{source}'")
        store.set_setting(db, "exam_date", when.isoformat(), t)
        store.set_setting(db, "exam_decks", list(chosen), t)
        store.set_setting(db, "exam_source", source, t)
        _replay_shared(db)  # as a device receiving the exam does
    status = exam_status(db, t, local_tz(), store.settings(db))
    if status is None:
        click.echo("No exam date yet: `trainer exam YYYY-MM-DD` sets one.")
        return
    for line in render.exam_lines(status):
        for part in render.wrap(line, _width(), indent="  "):
            click.echo(part)


@cli.command(name="break", short_help="Days off (a holiday, a trip): reviews move out of them.")
@click.argument("first", required=False)
@click.argument("last", required=False)
@click.option("--clear", is_flag=True, help="Forget every break.")
@db_option
def break_(first: str | None, last: str | None, clear: bool, db_path: Path | None) -> None:
    """Take FIRST to LAST (YYYY-MM-DD) off: reviews due then move to the day before, where it is still ahead
    (else the day after); without dates, list the breaks."""
    from trainer import store

    writing = first is not None or clear
    db = _open(db_path, readonly=not writing, create=False)
    t = now()
    settings = store.settings(db)
    if clear:
        store.set_setting(db, "breaks", [], t)
        click.echo("Breaks cleared (reviews already moved stay where they are).")
        return
    if first is None:
        for start, end in settings.breaks:
            click.echo(f"Break: {start} to {end}")
        if not settings.breaks:
            click.echo("No breaks: `trainer break FROM TO` takes days off.")
        return
    try:
        a, b = date.fromisoformat(first.strip()), date.fromisoformat((last or first).strip())
    except ValueError:
        raise TrainerError("give the break as FROM TO, each YYYY-MM-DD (one date: a single day)") from None
    today = study_day(t, local_tz(), settings.day_starts_at)
    if b < a:
        raise TrainerError(f"the break ends ({b}) before it starts ({a})")
    if b < today:
        raise TrainerError(f"the break {a} to {b} is over")
    if (b - a).days > 366:
        raise TrainerError("a break is at most a year long")
    spans = sorted([(date.fromisoformat(x), date.fromisoformat(y)) for x, y in settings.breaks] + [(a, b)])
    merged: list[list[date]] = []
    for first_day, last_day in spans:  # overlapping or adjacent breaks become one
        if merged and first_day <= merged[-1][1] + timedelta(days=1):
            merged[-1][1] = max(merged[-1][1], last_day)
        else:
            merged.append([first_day, last_day])
    breaks = [[x.isoformat(), y.isoformat()] for x, y in merged]
    if settings.exam_date and a <= date.fromisoformat(settings.exam_date) <= b:
        click.echo(f"Note: the break covers the exam day ({settings.exam_date}).")
    store.set_setting(db, "breaks", breaks, t)
    moved = store.move_out_of_breaks(db, store.schedule_params(db))
    days = sorted({m[2][:10] for m in moved})
    click.echo(f"Break {a} to {b}: {len(moved)} review{'s' if len(moved) != 1 else ''} due then move out of it"
               + (f" (to {', '.join(days)})" if days else "") + "; each is reviewed a little early, so its next "
               "interval is a little shorter: about as many extra reviews over the following weeks.")


def _stored_exam(db: Any, t: datetime) -> datetime:
    """`plan` without --exam: the exam `trainer exam` stored, while it is ahead."""
    from trainer import store

    stored = store.settings(db).exam_date
    if stored is None:
        raise TrainerError("no exam date: `trainer exam YYYY-MM-DD` stores one, or give --exam YYYY-MM-DD")
    if date.fromisoformat(stored) <= t.date():
        raise TrainerError(f"the exam on {stored} is past: `trainer exam YYYY-MM-DD` stores the next one")
    return datetime.fromisoformat(stored)


@cli.command(short_help="Plan your study until the exam date.")
@click.option("--exam", "exam", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Exam date, YYYY-MM-DD (default: the one `trainer exam` stored; given, a what-if).")
@click.option("--deck", help="Plan for this deck (default: all).")
@click.option("--target", type=click.FloatRange(0.5, 0.99), default=0.9, show_default=True,
              help="Recall to reach on exam day.")
@click.option("--buffer", "buffer_days", type=click.IntRange(0, 60), default=7, show_default=True,
              help="Meet every card at least this many days before the exam.")
@click.option("--apply", is_flag=True, help="Set the daily new-card limit and retention it recommends.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@db_option
def plan(exam: datetime | None, deck: str | None, target: float, buffer_days: int, apply: bool, as_json: bool,
         db_path: Path | None) -> None:
    """Reviews per day until the exam, predicted recall on the day, and the new cards and retention it takes."""
    from dataclasses import asdict, replace

    from trainer import render, store
    from trainer import stats as st
    from trainer.pace import exam_status

    if not 0.5 <= target <= 0.99:  # click's range lets `nan` through
        raise click.BadParameter(f"{target} is not in the range 0.5<=x<=0.99", param_hint="'--target'")
    db = _open(db_path, readonly=not apply)
    t = now()
    exam = exam or _stored_exam(db, t)
    if exam.date() <= t.date():
        raise TrainerError(f"--exam {exam.date()} is not in the future")
    if (exam.date() - t.date()).days > PLAN_MAX_DAYS:
        raise TrainerError(f"--exam {exam.date()} is more than {PLAN_MAX_DAYS // 365} years away: plan looks up to "
                           f"{PLAN_MAX_DAYS // 365} years ahead")
    if deck and deck not in store.deck_names(db):
        raise TrainerError(f"no deck named '{deck}'")
    settings = store.settings(db)
    stored = settings.exam_date == exam.date().isoformat()
    scope = deck or (store.exam_scope(settings) if stored else None)
    status = exam_status(db, t, local_tz(), settings) if stored else None
    pace = settings if status is None else replace(  # exam mode hands out the pace, not the whole limit
        settings, new_per_day=min(settings.new_per_day, max(status["new_per_day_needed"], 1)))
    p = st.plan(db, t, exam.date(), pace, scope, buffer_days, target, tz=local_tz())
    new_rate = max(p.new_per_day_needed, settings.new_per_day)  # advice never slows you down
    if apply:
        store.set_setting(db, "new_per_day", new_rate, t)
        if p.retention_needed:
            store.set_setting(db, "desired_retention", p.retention_needed, t)
            _replay_shared(db)
    if as_json:
        d = asdict(p)
        d["exam"] = p.exam.isoformat()
        d["exam_mode"] = exam_status(db, t, local_tz(), settings)  # the stored exam: pace, window, cut-off
        click.echo(json.dumps(d, indent=2))
        return
    for line in render.plan_lines(p, pace, target, buffer_days, new_rate if apply else None):
        for part in render.wrap(line, _width(), indent="  "):  # at a terminal's width, between words
            click.echo(part)


@cli.command(short_help="Show or change a setting.")
@click.argument("key", required=False)
@click.argument("value", nargs=-1)
@db_option
def settings(key: str | None, value: tuple[str, ...], db_path: Path | None) -> None:
    """Show the settings, or set one: `trainer settings new_per_day 30`, `trainer settings learning_steps 1m 10m`."""
    from trainer import settings as st
    from trainer import store

    if key is None:
        current = store.settings(_open(db_path, readonly=True))
        from trainer import render

        for k, (_, meaning) in st.SETTABLE.items():
            for part in render.wrap(f"# {meaning}", _width(), indent=" " * 34,
                                    first=f"{k} = {current.shown(k)}".ljust(30) + "  "):
                click.echo(part)
        return
    if key not in st.SETTABLE:
        st.parse(key, "")  # raises: unknown setting
    if not value:
        click.echo(store.settings(_open(db_path, readonly=True)).shown(key))
        return
    parsed = st.parse(key, " ".join(value))
    db = _open(db_path)
    store.set_setting(db, key, st.stored(key, parsed), now())
    if key in st.SHAPES_SCHEDULES:  # cards several devices reviewed are replayed with it, as the others do
        _replay_shared(db)
    click.echo(f"{key} = {store.settings(db).shown(key)}")


@cli.command(short_help="Fit FSRS to your own review history.")
@click.option("--yes", is_flag=True, help="Keep the fitted parameters even when they are not better.")
@db_option
def optimize(yes: bool, db_path: Path | None) -> None:
    """Fit FSRS parameters to your own review history, then rebuild every card's schedule from the log."""
    from trainer import optimize as opt
    from trainer import store

    db = _open(db_path, create=False)
    fit = opt.fit(db, store.schedule_params(db))
    click.echo(f"{fit.reviews} reviews; fitted on {fit.train_items} items, judged on {fit.test_items} held out.")
    click.echo(f"Held-out log loss {fit.before[0]:.4f} -> {fit.after[0]:.4f}; "
               f"RMSE {fit.before[1]:.4f} -> {fit.after[1]:.4f}.")
    if fit.after[0] >= fit.before[0] and not yes:
        click.echo("The fitted parameters predict your answers no better: nothing changed (--yes keeps them anyway).")
        return
    from trainer.db import backup

    backup(db, "optimize")
    n = opt.adopt(db, fit.weights, store.schedule_params(db), now())
    click.echo(f"Saved your parameters and rebuilt {n} cards from their reviews.")


@cli.command(short_help="Sync with your other devices through a folder you already sync.")
@click.argument("folder", required=False)
@click.option("--status", is_flag=True, help="Devices seen, their latest events, what is waiting either way.")
@db_option
def sync(folder: str | None, status: bool, db_path: Path | None) -> None:
    """Write this device's answers to its own subfolder of FOLDER and take in the other devices'. FOLDER is
    remembered (it stays on this device); the database file itself never goes there."""
    from trainer import store
    from trainer import sync as sy

    db = _open(db_path, readonly=status, create=not status)
    if folder is None:
        saved = store.local_value(db, "sync_dir")
        if saved is None:
            raise TrainerError("no sync folder yet: `trainer sync DIR` names one (a folder Syncthing, Dropbox or git "
                               "already syncs)")
        folder = saved
    if not folder.strip():
        raise TrainerError("give the sync folder: `trainer sync DIR`")
    try:
        root = Path(folder).expanduser().resolve()
    except (OSError, RuntimeError) as e:
        raise TrainerError(f"{folder}: cannot use it as a sync folder ({e})") from None
    if db.path is not None and Path(db.path).resolve().parent.is_relative_to(root):
        raise TrainerError(f"{root} holds this database ({db.path}): give the sync folder a place of its own, "
                           "outside TRAINER_HOME")
    if status:
        rows, out, incoming, arriving = sy.status(db, root)
        click.echo(f"Sync folder: {root}")
        for r in rows:
            when = r.last_at[:16].replace("T", " ") if r.last_at else "-"
            events = f"{r.events} event{'' if r.events == 1 else 's'}"
            click.echo(f"{r.device}{' (this device)' if r.this else ''}: {events}, latest {when}")
        click.echo(f"Waiting: {out} to send, {incoming} to take in"
                   + (f", {arriving} line(s) still arriving." if arriving else "."))
        return
    sy.check_folder(root)
    was = store.local_value(db, "sync_dir")
    if was != str(root):
        if was is not None:
            click.echo(f"The sync folder is now {root} (it was {was}): devices syncing only there see this one's "
                       "answers no more.")
        store.set_local_value(db, "sync_dir", str(root))
    result = sy.sync(db, root, now(), lambda: store.schedule_params(db))
    for note in result.notes:
        click.echo(note)
    others = len(result.devices)
    click.echo(f"Synced with {root}: sent {result.sent} event{'s' if result.sent != 1 else ''}, took in "
               f"{result.received} from {others} other device{'s' if others != 1 else ''}; "
               f"{result.rebuilt} card{'s' if result.rebuilt != 1 else ''} rebuilt from the merged log."
               + (f" {result.waiting} wait for earlier files." if result.waiting else "")
               + (f" {result.unread} line{'s' if result.unread != 1 else ''} this version cannot read, left out."
                  if result.unread else ""))


@cli.command(short_help="Look up a port, a protocol number, an ICMP type, a service or a word.")
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list (each hit's `registry` says where from).")
def lookup(query: str, as_json: bool) -> None:
    """Look up a port (143, 143/tcp), an IP protocol number (gre, 'protocol 50'), an ICMP type or code ('icmp 8',
    'code 3', ping), a service or alias (imap, RDP), or a word (kerberos). A bare number (50) is looked up in every
    registry, each under its own heading."""
    from trainer import lookup as lk
    from trainer.paths import bundled_deck, data_dir

    asked = lk.numbered_query(query)
    port = query.strip().split("/")[0]
    if asked is not None and asked[0] is not None and asked[1] > 255:
        raise TrainerError(f"{asked[1]} is not an {lk._WHICH[asked[0]]} number (0-255)")
    if port.isascii() and port.isdigit() and (len(port) > 5 or int(port) > 65535):
        raise TrainerError(f"{port[:20]}{'...' if len(port) > 20 else ''} is not a port (0-65535)")
    hits = [] if asked is not None and asked[0] is not None else lk.search(
        lk.load_rows(bundled_deck("registry"), data_dir() / "cache"), query)
    numbers = [] if "/" in query else lk.search_numbers(
        lk.number_facts([bundled_deck(n) for n in lk.NUMBER_DECKS]), query)
    found = lk.groups(hits, numbers, query)
    if as_json:
        click.echo(json.dumps([h.to_dict() for _, group in found for h in group], indent=2, ensure_ascii=True))
    else:
        for line in lk.format_groups(found, width=_width()):
            click.echo(line)
    if not found:
        if not as_json:
            from trainer.render import clean

            shown = clean(query)[:80] + ("..." if len(query) > 80 else "")
            click.echo(f"No port, protocol number, ICMP type, service or description matches '{shown}'.", err=True)
        sys.exit(1)


def main() -> None:
    cli(prog_name="trainer")

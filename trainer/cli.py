"""The `trainer` command: thin click commands over the library; errors become one line and an exit code."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import click

from trainer import __version__
from trainer.errors import TrainerError

DEFAULT_DECK = "exam"


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TrainerError as e:
            click.echo(f"Error: {e}", err=True)
            ctx.exit(e.exit_code)
        except sqlite3.Error as e:
            click.echo(f"Error: database: {e}", err=True)
            ctx.exit(1)


def now() -> datetime:
    """The wall clock, read only here at the edge; TRAINER_NOW (ISO time) pins it for tests and demos."""
    pinned = os.environ.get("TRAINER_NOW")
    if pinned:
        from trainer.scheduler import parse_time

        try:
            t = parse_time(pinned)
        except ValueError:
            raise TrainerError(f"TRAINER_NOW: {pinned!r} is not an ISO date-time") from None
        assert t is not None
        return t
    return datetime.now(timezone.utc)


def local_tz() -> Any:
    return datetime.now().astimezone().tzinfo


def db_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
                        help="Database file (default: $TRAINER_HOME/trainer.db or the user data dir).")(f)


def _open(db_path: Path | None) -> Any:
    from trainer.db import open_db
    from trainer.paths import db_path as resolve

    return open_db(resolve(db_path))


def _import_bundled(db: Any, name: str, out: Callable[[str], None]) -> None:
    from trainer import store
    from trainer.deck import load_deck
    from trainer.paths import bundled_deck

    summary = store.import_deck(db, load_deck(bundled_deck(name)), now())
    out(f"Imported the bundled deck '{name}': {summary.added} facts, {summary.cards} cards.")


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="trainer")
def cli() -> None:
    """Flashcards and quizzes for IT certification study: TCP/UDP ports, scheduled with FSRS."""


@cli.command()
@click.option("--deck", help="Study only this deck.")
@click.option("--new", "new", type=click.IntRange(min=0), help="New cards to introduce today (overrides the daily limit).")
@click.option("--plain/--interactive", default=None,
              help="Plain: one answer per line on stdin (the default when stdin is not a terminal).")
@db_option
def review(deck: str | None, new: int | None, plain: bool | None, db_path: Path | None) -> None:
    """Study the cards that are due, then new ones."""
    from trainer import render, session, store
    from trainer.paths import bundled_deck_names

    plain = (not sys.stdin.isatty()) if plain is None else plain
    say = (lambda line: click.echo(line)) if plain else None
    con = None if plain else render.console()

    def out(line: str) -> None:
        if say:
            say(line)
        else:
            render.print_lines(con, [line])

    db = _open(db_path)
    decks = store.deck_names(db)
    if deck and deck not in decks:
        if deck in bundled_deck_names():
            _import_bundled(db, deck, out)
        else:
            raise TrainerError(f"no deck named '{deck}' (decks: {', '.join(decks) or 'none yet'})")
    elif not store.has_cards(db):
        _import_bundled(db, DEFAULT_DECK, out)
    settings = store.settings(db)
    t = now()
    queue = session.build_queue(db, t, settings, local_tz(), deck, new)
    if not queue:
        nxt = store.next_due(db, deck)
        out(f"Nothing due. Next card due {render.when(nxt, t)}." if nxt else
            "Nothing to study: no cards are due and today's new-card limit is reached (use --new N for more).")
        return
    if plain:
        from trainer.prompts import PlainPrompter

        prompter: Any = PlainPrompter()
    else:
        from trainer.prompts import TerminalPrompter

        prompter = TerminalPrompter(con)
    result = session.run(db, prompter, queue, now, time.monotonic, session.params_from(settings), deck)
    lines = render.summary_lines(result, now())
    if say:
        for line in lines:
            say(line)
    else:
        render.print_lines(con, lines, style="bold")


@cli.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@db_option
def import_(files: tuple[Path, ...], db_path: Path | None) -> None:
    """Import decks: YAML, or an /etc/services file. Re-importing keeps every review."""
    from trainer import store
    from trainer.imports import read_deck

    decks = [read_deck(f) for f in files]  # read and validate everything before writing anything
    db = _open(db_path)
    with db.atomic():
        summaries = [store.import_deck(db, d, now()) for d in decks]
    for s in summaries:
        click.echo(f"{s.deck}: {s.added} added, {s.updated} updated, {s.unchanged} unchanged, "
                   f"{s.suspended} suspended; {s.cards} cards.")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@db_option
def decks(as_json: bool, db_path: Path | None) -> None:
    """List decks with their new, learning and due counts."""
    from dataclasses import asdict

    from trainer import store

    rows = store.deck_counts(_open(db_path), now())
    if as_json:
        click.echo(json.dumps([asdict(r) for r in rows], indent=2))
        return
    if not rows:
        click.echo("No decks yet: `trainer review` imports the exam deck, `trainer import FILE` adds yours.")
        return
    import shutil

    from trainer import render

    for line in render.deck_table(rows, shutil.get_terminal_size().columns):
        click.echo(line)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@db_option
def stats(as_json: bool, db_path: Path | None) -> None:
    """Counts of cards and reviews."""
    from trainer import store

    db = _open(db_path)
    data: dict[str, Any] = store.totals(db, now())
    data["decks"] = {r.name: {"cards": r.cards, "new": r.new, "learning": r.learning, "due": r.due}
                     for r in store.deck_counts(db, now())}
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    from trainer import render

    render.print_lines(render.console(), render.stats_lines(data))


@cli.command()
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def lookup(query: str, as_json: bool) -> None:
    """Look up a port (143, 143/tcp), a service or alias (imap, RDP), or a word (kerberos)."""
    from trainer import lookup as lk
    from trainer.paths import bundled_deck, data_dir

    hits = lk.search(lk.load_rows(bundled_deck("registry"), data_dir() / "cache"), query)
    if as_json:
        click.echo(json.dumps([h.to_dict() for h in hits], indent=2, ensure_ascii=False))
    else:
        for line in lk.format_hits(hits):
            click.echo(line)
    if not hits:
        if not as_json:
            click.echo(f"No port, service or description matches '{query}'.", err=True)
        sys.exit(1)


def main() -> None:
    cli(prog_name="trainer")

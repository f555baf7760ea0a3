#!/usr/bin/env python3
"""Speed of trainer where a learner feels it, on a large database (the whole IANA registry deck and about
100,000 reviews over a year) and on a small one (the exam deck): prints a table, --json writes the figures.

    python scripts/bench.py                      # ~1-2 min on 2 cores
    python scripts/bench.py --tiny               # seconds: a smoke run (the test suite runs it)
    python scripts/bench.py --anki /path/to/python-with-anki   # also run ../shared/bench/anki_baseline.py
                                                  # in the same run and print the ratios
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import click

ROOT = Path(__file__).resolve().parent.parent


def trainer_cmd() -> list[str]:
    """The installed `trainer` beside this Python, as a learner runs it; else `python -m trainer`."""
    exe = Path(sys.executable).with_name("trainer")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "trainer"]


def env_for(home: Path, now: datetime | None = None) -> dict[str, str]:
    env = dict(os.environ, TRAINER_HOME=str(home), NO_COLOR="1")
    if now:
        env["TRAINER_NOW"] = now.isoformat()
    return env


def build(home: Path, deck: str, reviews: int, days: int, new_per_day: int, now: datetime) -> dict[str, Any]:
    """A database with `deck` and a simulated learner's history ending at `now`."""
    from trainer import store
    from trainer.db import open_db
    from trainer.deck import load_deck
    from trainer.import_plan import plan
    from trainer.paths import bundled_deck
    from trainer.scheduler import Params
    from trainer.simulate import simulate_history

    t = time.perf_counter()
    db = open_db(home / "trainer.db")
    start = now - timedelta(days=days)
    store.import_decks(db, [plan(load_deck(bundled_deck(deck)))], start)
    n = simulate_history(db, start, days, Params(), Params(enable_fuzzing=False), seed=1,
                         new_per_day=new_per_day, max_reviews=reviews)
    cards = db.execute("SELECT count(*) FROM cards").fetchone()[0]
    due = db.execute("SELECT count(*) FROM cards WHERE reps > 0 AND due <= ?", [now.isoformat()]).fetchone()[0]
    db.close()
    size = (home / "trainer.db").stat().st_size
    return {"cards": cards, "reviews": n, "due_now": due, "db_mb": round(size / 2**20, 1),
            "build_s": round(time.perf_counter() - t, 1)}


def time_to_first_question(home: Path, now: datetime, runs: int) -> list[float]:
    """Process start to the first question line of `trainer review` in plain mode."""
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        p = subprocess.Popen(trainer_cmd() + ["review", "--plain"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, env=env_for(home, now), cwd=home)
        assert p.stdout and p.stdin
        for line in p.stdout:
            if line.rstrip().endswith("?"):
                break
        out.append(time.perf_counter() - t)
        p.stdin.close()
        p.wait()
    return out


class Answerer:
    """A prompter that answers at once (right three times in four) and times the gap between questions."""

    timed = False

    def __init__(self) -> None:
        self.marks: list[float] = []
        self.n = 0

    def ask(self, card: Any, number: int, total: int) -> str | None:
        self.marks.append(time.perf_counter())
        self.n += 1
        if card.port_sets and self.n % 4:
            return ",".join(map(str, sorted(card.port_sets[0])))
        if card.answers and self.n % 4:
            return card.answers[0]
        return "wrong"

    def show_verdict(self, *args: Any) -> None:
        pass

    def choose_rating(self, suggested: int, previews: Any, now: Any, offer_accept: bool = False) -> int:
        return suggested

    def ask_text(self, mark: str) -> str | None:

        return None


    def notice(self, line: str) -> None:
        pass

    def offer_suspend(self, card: Any) -> bool:
        return False

    def self_grade(self, card: Any, number: int, total: int) -> tuple[str, int]:
        self.marks.append(time.perf_counter())
        return "", 3


def per_answer(home: Path, now: datetime, answers: int) -> list[float]:
    """Inside the loop: grade, FSRS update, commit to disk (synchronous=FULL), pick and build the next card."""
    from trainer import session, store
    from trainer.db import open_db

    work = home.parent / f"{home.name}-answers"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(home, work)
    db = open_db(work / "trainer.db")
    store.set_setting(db, "reviews_per_day", 10**6)  # enough cards for every timed answer
    settings = store.settings(db)
    queue = store.find_cards(db, soonest_first=True, limit=answers)  # due first, then any
    prompter = Answerer()
    clock = iter(now + timedelta(seconds=i) for i in range(10 * answers + 10))
    session.run(db, prompter, queue, lambda: next(clock), time.perf_counter, settings.params(),
                session.Options(requeue=False))
    db.close()
    shutil.rmtree(work, ignore_errors=True)
    return [b - a for a, b in zip(prompter.marks, prompter.marks[1:], strict=False)]


def whole_process(args: list[str], home: Path, runs: int, now: datetime | None = None) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(trainer_cmd() + args, env=env_for(home, now), cwd=home, capture_output=True, check=True)
        out.append(time.perf_counter() - t)
    return out


def import_registry(runs: int, tmp: Path, again: bool = False) -> list[float]:
    """`trainer import registry.yaml` into an empty home (or, `again`, into one that already has it)."""
    from trainer.paths import bundled_deck

    out = []
    for i in range(runs):
        home = tmp / f"import-{i}-{again}"
        home.mkdir()
        cmd = trainer_cmd() + ["import", str(bundled_deck("registry"))]
        if again:
            subprocess.run(cmd, env=env_for(home), cwd=home, capture_output=True, check=True)
        t = time.perf_counter()
        subprocess.run(cmd, env=env_for(home), cwd=home, capture_output=True, check=True)
        out.append(time.perf_counter() - t)
    return out


def peak_rss_mb(home: Path, now: datetime, answers: int) -> float:
    """Peak resident memory of a whole review session answering `answers` cards."""
    p = subprocess.Popen(trainer_cmd() + ["review", "--plain", "--extra", str(answers)], stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True, env=env_for(home, now),
                         cwd=home)
    assert p.stdin
    p.stdin.write("80\n" * answers)
    p.stdin.close()
    _, _, usage = os.wait4(p.pid, 0)
    p.returncode = 0
    return usage.ru_maxrss / 1024


def sync_merge(large: Path, tmp: Path, now: datetime) -> tuple[float, float, int]:
    """Another device (with the same deck) takes in the large database's whole history through a sync folder:
    seconds and peak MB of that `trainer sync` process (rebuilding every card the events touch included), and the
    events."""
    folder, other = tmp / "Sync", tmp / "other-device"
    folder.mkdir()
    other.mkdir()
    subprocess.run(trainer_cmd() + ["review", "--deck", "registry", "--new", "0"], env=env_for(other, now), cwd=other,
                   capture_output=True, check=True)  # the other device has the deck: what is timed is the merge
    subprocess.run(trainer_cmd() + ["sync", str(folder)], env=env_for(large, now), cwd=large, capture_output=True,
                   check=True)
    events = sum(1 for p in folder.rglob("*.jsonl") for _ in p.open("rb"))
    t = time.perf_counter()
    p = subprocess.Popen(trainer_cmd() + ["sync", str(folder)], env=env_for(other, now), cwd=other,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = 0
    assert status == 0, "sync failed"
    return time.perf_counter() - t, usage.ru_maxrss / 1024, events


def open_checks_ms(home: Path, runs: int, frames: int) -> tuple[list[float], list[float]]:
    """The checks made before SQLite opens the database (a regular file, SQLite's, a log that belongs to it), with
    a log of `frames` pages left beside it as a killed session leaves one: (the log is this database's, the log is
    another copy's and is scanned to its end to say so)."""
    import sqlite3

    from trainer import dbfile
    from trainer.db import open_db
    from trainer.errors import StoreError

    path = home / "trainer.db"
    held = open_db(path)  # stamps the log; kept open so the log outlives the writes below
    writer = sqlite3.connect(str(path), isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    page = writer.execute("PRAGMA page_size").fetchone()[0]
    wal = Path(str(path) + "-wal")
    i = 0
    while (wal.stat().st_size if wal.exists() else 0) < 32 + frames * (page + 24):
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE cards SET position = position + ? WHERE rowid % 50 = ?",  # a no-op UPDATE writes
                       [1 if i // 50 % 2 == 0 else -1, i % 50])                            # nothing: +1, then -1
        writer.execute("COMMIT")
        i += 1
    copy = home.parent / f"{home.name}-crashed"
    copy.mkdir()
    for end in ("", "-wal"):
        shutil.copyfile(str(path) + end, str(copy / "trainer.db") + end)
    writer.close()
    held.close()

    def timed(target: Path) -> list[float]:
        out = []
        for _ in range(runs):
            t = time.perf_counter()
            try:
                dbfile.check_regular(target)
                dbfile.check_sqlite(target)
                dbfile.check_wal(target)
            except StoreError:
                pass
            out.append((time.perf_counter() - t) * 1000)
        return out

    own = timed(copy / "trainer.db")
    with (copy / "trainer.db").open("r+b") as f:  # another copy's file: another application_id
        f.seek(68)
        mine = f.read(4)
        f.seek(68)
        f.write(bytes(b ^ 0x5A for b in mine))
    return own, timed(copy / "trainer.db")


def summary(values: list[float]) -> dict[str, float]:
    v = sorted(values)
    return {"median": statistics.median(v), "p99": v[min(len(v) - 1, int(len(v) * 0.99))], "min": v[0],
            "max": v[-1], "n": len(v)}


def anki_baseline(python: str, tmp: Path, reps: int) -> dict[str, Any]:
    script = ROOT.parent / "shared" / "bench" / "anki_baseline.py"
    out = tmp / "anki.json"
    subprocess.run([python, str(script), "--reps", str(reps), "--only", "import,create,fsrs,open",
                    "--workdir", str(tmp / "anki"), "--json", str(out)], check=True, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())


@click.command()
@click.option("--tiny", is_flag=True, help="Small sizes and few repeats: a smoke run.")
@click.option("--reviews", type=int, default=100_000, show_default=True, help="Reviews in the large database.")
@click.option("--runs", type=int, default=7, show_default=True, help="Repeats of each whole-process figure.")
@click.option("--answers", type=int, default=500, show_default=True, help="Answers timed inside the loop.")
@click.option("--anki", "anki_python", help="A Python with `anki` installed: run Anki's baseline alongside.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Write the figures here.")
def main(tiny: bool, reviews: int, runs: int, answers: int, anki_python: str | None, json_path: Path | None) -> None:
    """Benchmark trainer and print a table of figures."""
    if tiny:
        reviews, runs, answers = 1500, 2, 40
    now = datetime(2026, 11, 29, 9, tzinfo=timezone.utc)
    tmp = Path(tempfile.mkdtemp(prefix="trainer-bench-"))
    results: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                                           "platform": sys.platform}}
    try:
        large, small = tmp / "large", tmp / "small"
        large.mkdir()
        small.mkdir()
        click.echo("building databases...", err=True)
        results["large_db"] = build(large, "registry", reviews, 365, 60, now)
        results["small_db"] = build(small, "exam", max(reviews // 100, 300), 60, 5, now)
        click.echo("measuring...", err=True)
        figures = {
            "first_question_large_s": time_to_first_question(large, now, runs),
            "first_question_small_s": time_to_first_question(small, now, runs),
            "answer_large_ms": [x * 1000 for x in per_answer(large, now, answers)],
            "answer_small_ms": [x * 1000 for x in per_answer(small, now, min(answers, 140))],
            "import_registry_s": import_registry(max(runs // 2, 1), tmp),
            "reimport_registry_s": import_registry(max(runs // 2, 1), tmp, again=True),
            "lookup_443_s": whole_process(["lookup", "443"], large, runs),
            "stats_json_large_s": whole_process(["stats", "--json"], large, runs, now),
        }
        own, stranger = open_checks_ms(large, runs * 20, 200 if tiny else 20_000)
        figures["open_checks_own_log_ms"] = own
        figures["open_checks_stranger_log_ms"] = stranger
        results["figures"] = {k: summary(v) for k, v in figures.items()}
        results["figures"]["review_peak_rss_mb"] = {"median": peak_rss_mb(large, now, min(answers, 200)), "n": 1}
        merge_s, merge_mb, events = sync_merge(large, tmp, now)
        results["figures"]["sync_merge_all_s"] = {"median": merge_s, "n": 1}  # target: under 3 s for 100,000
        results["figures"]["sync_merge_peak_mb"] = {"median": merge_mb, "n": 1}  # target: under 100 MB
        results["sync_events"] = events
        if anki_python:
            click.echo("running Anki's baseline...", err=True)
            results["anki"] = anki_baseline(anki_python, tmp, 3 if not tiny else 2)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    lg, sm = results["large_db"], results["small_db"]
    click.echo(f"large database: {lg['cards']} cards, {lg['reviews']} reviews, {lg['due_now']} due, {lg['db_mb']} MB; "
               f"small: {sm['cards']} cards, {sm['reviews']} reviews")
    click.echo(f"{'figure':34s} {'median':>10s} {'p99':>10s} {'min':>10s} {'max':>10s}   n")
    for k, v in results["figures"].items():
        cells = [f"{v[c]:10.3f}" if c in v else f"{'':10s}" for c in ("median", "p99", "min", "max")]
        click.echo(f"{k:34s} {' '.join(cells)}   {v['n']}")
    f = results["figures"]
    ratio = f["answer_large_ms"]["median"] / f["answer_small_ms"]["median"]
    click.echo(f"answer cost, large / small database: {ratio:.2f}x")
    click.echo(f"sync: a new device took in {results['sync_events']} events (the large database's whole history) in "
               f"{f['sync_merge_all_s']['median']:.2f} s, peak {f['sync_merge_peak_mb']['median']:.0f} MB")
    if "anki" in results:
        a = results["anki"]
        pick = lambda *names: next((a[n]["median"] for n in names if n in a), None)  # noqa: E731
        ms = lambda key: a[key]["median"] / 1000 if key in a else None  # noqa: E731
        rows = [("first question, new process (s)", f["first_question_large_s"]["median"],
                 ms("6_fsrs_process_spawn_to_question_ms")),
                ("answer a card, on disk (ms)", f["answer_large_ms"]["median"], pick("5_fsrs_answer_card_ms")),
                ("import 6,273 facts vs 14,000 CSV notes (s)", f["import_registry_s"]["median"],
                 pick("2_csv_import_14000_total_s"))]
        for label, ours, theirs in rows:
            ratio = f"{ours / theirs:.2f}x Anki" if theirs else "n/a"
            click.echo(f"{label:44s} trainer {ours:8.4f}  anki {theirs if theirs is not None else float('nan'):8.4f}"
                       f"  -> {ratio}")
    if json_path:
        json_path.write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Speed of trainer where a learner waits, beside Anki's own library: a large database (the whole IANA
registry deck and 100,000 reviews over a year; `--scale 10`: ten times both) and a small one (the exam deck).
Prints a table, and with `--anki` Anki's figures and the ratios beside ours; --json writes the figures.

    python scripts/bench.py                      # ~2-3 min on 2 cores
    python scripts/bench.py --scale 10           # 125,000 cards, 1,000,000 reviews: ~10 min
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


def build(home: Path, deck: str, reviews: int, days: int, new_per_day: int, now: datetime,
          scale: int = 1) -> dict[str, Any]:
    """A database with `deck` and a simulated learner's history ending at `now`; `scale` > 1 adds copies of the
    deck (`DECK-c1`...) with the same history, so cards and reviews grow `scale` times."""
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
    for k in range(1, scale):
        n += _copy_deck(db, deck, f"{deck}-c{k}", home, start)
    cards = db.execute("SELECT count(*) FROM cards").fetchone()[0]
    due = db.execute("SELECT count(*) FROM cards WHERE reps > 0 AND due <= ?", [now.isoformat()]).fetchone()[0]
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    size = (home / "trainer.db").stat().st_size
    return {"cards": cards, "reviews": n, "due_now": due, "db_mb": round(size / 2**20, 1),
            "build_s": round(time.perf_counter() - t, 1)}


def _copy_deck(db: Any, deck: str, name: str, home: Path, at: datetime) -> int:
    """Import `deck` again as `name` and give its cards the original's history (reviews and states)."""
    from trainer import store
    from trainer.db import writing
    from trainer.deck import load_deck
    from trainer.import_plan import plan
    from trainer.paths import bundled_deck

    copy = home / f"{name}.yaml"
    text = bundled_deck(deck).read_text()
    copy.write_text(text.replace(f"\nname: {deck}\n", f"\nname: {name}\n", 1))
    store.import_decks(db, [plan(load_deck(copy))], at)
    copy.unlink()
    cut = len(deck) + 1
    with writing(db):
        n = db.execute(
            "INSERT INTO reviews (card_id, reviewed_at, answer, correct, rating, duration_ms, mode, state_before, "
            "state_after) SELECT ? || substr(card_id, ?), reviewed_at, answer, correct, rating, duration_ms, mode, "
            "state_before, state_after FROM reviews WHERE card_id LIKE ? ORDER BY id",
            [f"{name}/", cut + 1, f"{deck}/%"]).rowcount
        db.execute("UPDATE reviews SET uid = (SELECT value FROM local WHERE key = 'device') || '.r' || id "
                   "WHERE uid IS NULL")
        db.execute("UPDATE cards SET (state, step, stability, difficulty, due, last_review, reps, lapses, leech) = "
                   "(SELECT o.state, o.step, o.stability, o.difficulty, o.due, o.last_review, o.reps, o.lapses, "
                   "o.leech FROM cards o WHERE o.id = ? || substr(cards.id, ?)) WHERE deck = ?",
                   [f"{deck}/", len(name) + 2, name])
    return n


def scaled_deck(deck: str, scale: int, target: Path) -> Path:
    """One deck file `scale` times the size of `deck` (its facts again under new keys and names): what a learner's
    own deck of that size looks like to `trainer import`."""
    import yaml

    from trainer.paths import bundled_deck

    data = yaml.load(bundled_deck(deck).read_text(), Loader=yaml.CSafeLoader)
    facts = data["facts"]
    data["name"] = target.stem
    data["facts"] = facts + [
        {**f, "key": f"{f['key']}-copy{k}", **({"service": f"{f['service']} copy{k}"} if "service" in f else {})}
        for k in range(1, scale) for f in facts]
    class Dumper(yaml.CSafeDumper):
        def ignore_aliases(self, data: Any) -> bool:  # the copies share their lists: written out each time
            return True

    target.write_text(yaml.dump(data, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=120))
    return target


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


LEARNER_PAUSE = 0.01  # seconds a learner reads each question, in the pipe sessions and the paused loops


class Answerer:
    """A prompter that answers (right three times in four) after reading each question for `pause` seconds, and
    times each answer sent to the next question shown."""

    timed = False

    def __init__(self, pause: float = 0.0) -> None:
        self.shown: list[float] = []
        self.sent: list[float] = []
        self.pause = pause
        self.n = 0

    def _read(self) -> None:
        self.shown.append(time.perf_counter())
        if self.pause:
            time.sleep(self.pause)
        self.sent.append(time.perf_counter())

    def gaps(self) -> list[float]:
        return [shown - sent for sent, shown in zip(self.sent, self.shown[1:], strict=False)]

    def ask(self, card: Any, number: int, total: int) -> str | None:
        self._read()
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
        self._read()
        return "", 3


def per_answer(home: Path, now: datetime, answers: int, pause: float = 0.0) -> list[float]:
    """Inside the loop: grade, FSRS update, commit to disk (synchronous=FULL), pick and build the next card.
    `pause`: the learner reads each question this long first (a process that slept wakes slower)."""
    from trainer import session, store
    from trainer.db import open_db

    work = home.parent / f"{home.name}-answers"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(home, work)
    db = open_db(work / "trainer.db")
    store.set_setting(db, "reviews_per_day", 10**6)  # enough cards for every timed answer
    settings = store.settings(db)
    queue = store.find_cards(db, soonest_first=True, limit=answers)  # due first, then any
    prompter = Answerer(pause)
    clock = iter(now + timedelta(seconds=i) for i in range(10 * answers + 10))
    session.run(db, prompter, queue, lambda: next(clock), time.perf_counter, settings.params(),
                session.Options(requeue=False))
    db.close()
    shutil.rmtree(work, ignore_errors=True)
    return prompter.gaps()


PEAKS: dict[str, float] = {}  # figure -> the largest peak resident memory (MB) of its processes

# Linux counts into a child's peak memory the memory of the process it was forked from (the benchmark, hundreds
# of MB once it has built a large database): each trainer process is started by this small runner instead, which
# reports the trainer's own peak, its wall time and its exit status.
_RUNNER = ("import os, subprocess, sys, time\n"
           "t = time.perf_counter()\n"
           "p = subprocess.Popen(sys.argv[2:])\n"
           "_, status, use = os.wait4(p.pid, 0)\n"
           "open(sys.argv[1], 'w').write(f'{time.perf_counter() - t} {use.ru_maxrss / 1024} {status}')\n"
           "sys.exit(1 if status else 0)\n")


def _run(args: list[str], home: Path, now: datetime | None, **popen: Any) -> tuple[subprocess.Popen[Any], Path]:
    report = Path(tempfile.mkstemp(prefix="trainer-bench-run-")[1])
    return subprocess.Popen([sys.executable, "-c", _RUNNER, str(report), *trainer_cmd(), *args],
                            env=env_for(home, now), cwd=home, **popen), report


def _ran(p: subprocess.Popen[Any], report: Path, figure: str | None = None) -> tuple[float, float, int]:
    """(seconds, peak MB, exit status) of the trainer process a runner started; the peak noted under `figure`."""
    p.wait()
    seconds, mb, status = report.read_text().split()
    report.unlink()
    if figure:
        PEAKS[figure] = max(PEAKS.get(figure, 0.0), float(mb))
    return float(seconds), float(mb), int(status)


def _measured(args: list[str], home: Path, now: datetime | None, figure: str, stdin: str | None = None) -> float:
    """Run one trainer process to its end: seconds, and its peak memory noted under `figure`."""
    p, report = _run(args, home, now, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert p.stdin and p.stderr
    if stdin:
        p.stdin.write(stdin.encode())
    p.stdin.close()
    err = p.stderr.read()
    seconds, _, status = _ran(p, report, figure)
    if status != 0:
        raise SystemExit(f"trainer {' '.join(args)} failed: {err.decode()[-500:]}")
    return seconds


def whole_process(args: list[str], home: Path, runs: int, figure: str, now: datetime | None = None) -> list[float]:
    return [_measured(args, home, now, figure) for _ in range(runs)]


def import_deck(deck: Path, runs: int, tmp: Path, figure: str, again: bool = False) -> list[float]:
    """`trainer import DECK` into an empty home (or, `again`, into one that already has it)."""
    out = []
    for i in range(runs):
        home = tmp / f"{figure}-{i}"
        home.mkdir()
        if again:
            _measured(["import", str(deck)], home, None, figure + "-first")
        out.append(_measured(["import", str(deck)], home, None, figure))
        shutil.rmtree(home, ignore_errors=True)
    return out


def answer_key(home: Path) -> dict[str, str]:
    """Each question's text -> a right answer, for a learner who knows three cards in four."""
    from trainer import session, store
    from trainer.db import open_for_reading

    db = open_for_reading(home / "trainer.db")
    key = {}
    for card in store.find_cards(db):
        spec = session.spec_for(db, card)
        if spec.port_sets:
            key[spec.question] = " ".join(map(str, sorted(spec.port_sets[0])))
        elif spec.answers:
            key.setdefault(spec.question, spec.answers[0])
    db.close()
    return key


def pipe_session(home: Path, now: datetime, answers: int, key: dict[str, str], figure: str) -> list[float]:
    """A whole `trainer review --plain` through a pipe, as a learner feels it: from the answer sent (Enter) to
    the next question (ms), which holds grading, scheduling, the durable commit, the verdict and the next card.
    Like a learner, it reads each question before answering (a second for the first, 10 ms after that)."""
    p, report = _run(["review", "--plain"], home, now, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=subprocess.DEVNULL, text=True)
    assert p.stdout and p.stdin
    import re

    gaps: list[float] = []
    sent, n = 0.0, 0
    for line in p.stdout:
        asked = re.match(r"\((?:\d+/\d+|again)\) (.*)", line.rstrip("\n"))
        if not asked:
            continue
        if sent:
            gaps.append((time.perf_counter() - sent) * 1000)
        n += 1
        if n > answers:
            break
        question = asked.group(1)
        time.sleep(1.0 if n == 1 else LEARNER_PAUSE)
        sent = time.perf_counter()
        p.stdin.write((key.get(question, "80") if n % 4 else "no idea") + "\n")
        p.stdin.flush()
    p.stdin.close()
    for _ in p.stdout:
        pass
    _ran(p, report, figure)
    return gaps


def sync_merge(large: Path, tmp: Path, now: datetime) -> tuple[float, float, float, int]:
    """The large database sends its whole history to a sync folder (seconds; its peak memory noted), and another
    device (with the same deck) takes it in: seconds and peak MB of that `trainer sync` process (rebuilding every
    card the events touch included), and the events."""
    folder, other = tmp / "Sync", tmp / "other-device"
    folder.mkdir()
    other.mkdir()
    subprocess.run(trainer_cmd() + ["review", "--deck", "registry", "--new", "0"], env=env_for(other, now), cwd=other,
                   capture_output=True, check=True)  # the other device has the deck: what is timed is the merge
    sent = _measured(["sync", str(folder)], large, now, "sync_send_all_s")  # its whole history, sent
    events = sum(1 for p in folder.rglob("*.jsonl") for _ in p.open("rb"))
    p, report = _run(["sync", str(folder)], other, now, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds, mb, status = _ran(p, report)
    assert status == 0, "sync failed"
    return sent, seconds, mb, events


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


# Anki's reviewer loop as anki_baseline.py times it (answer the card, get the next one), with the learner's pause
# before each answer that the pipe sessions have: the like-for-like counterpart of answer_paused.
_ANKI_PAUSED = """
import json, random, shutil, sys, time
from anki.collection import Collection
from anki.cards import Card
from anki.scheduler.v3 import CardAnswer
src, work, answers, pause = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
shutil.copyfile(src, work)
col = Collection(work)
rng = random.Random(0)
ratings = [CardAnswer.AGAIN, CardAnswer.HARD, CardAnswer.GOOD, CardAnswer.EASY]
top = col.sched.get_queued_cards(fetch_limit=1).cards[0]
gaps = []
for _ in range(answers):
    card = Card(col, backend_card=top.card)
    card.start_timer()
    time.sleep(pause)
    t = time.perf_counter()
    col.sched.answer_card(col.sched.build_answer(card=card, states=top.states,
                                                  rating=rng.choices(ratings, [10, 5, 80, 5])[0]))
    top = col.sched.get_queued_cards(fetch_limit=1).cards[0]
    gaps.append((time.perf_counter() - t) * 1000)
col.close()
print(json.dumps(gaps))
"""


def anki_baseline(python: str, tmp: Path, reps: int) -> dict[str, Any]:
    script = ROOT.parent / "shared" / "bench" / "anki_baseline.py"
    out = tmp / "anki.json"
    subprocess.run([python, str(script), "--reps", str(reps), "--only", "import,create,fsrs,open",
                    "--workdir", str(tmp / "anki"), "--json", str(out)], check=True, stdout=subprocess.DEVNULL)
    results: dict[str, Any] = json.loads(out.read_text())
    base = tmp / "anki" / "base_fsrs.anki2"
    if base.exists():
        done = subprocess.run([python, "-c", _ANKI_PAUSED, str(base), str(tmp / "anki" / "paused.anki2"), "300",
                               str(LEARNER_PAUSE)], check=True, capture_output=True, text=True)
        results["answer_paused_ms"] = summary(json.loads(done.stdout.strip().splitlines()[-1]))
    return results


def measure_large(home: Path, now: datetime, runs: int, answers: int, session: int, tag: str,
                  tmp: Path) -> dict[str, list[float]]:
    """The figures that depend on the size of the learner's database."""
    from trainer import store
    from trainer.db import open_db

    figures = {
        f"first_question_{tag}_s": time_to_first_question(home, now, runs),
        f"answer_in_process_{tag}_ms": [x * 1000 for x in per_answer(home, now, answers)],
        f"answer_paused_{tag}_ms": [x * 1000 for x in per_answer(home, now, min(answers, 300), LEARNER_PAUSE)],
        f"stats_json_{tag}_s": whole_process(["stats", "--json"], home, runs, f"stats_json_{tag}_s", now),
        f"lookup_443_{tag}_s": whole_process(["lookup", "443"], home, runs, f"lookup_443_{tag}_s"),
    }
    work = tmp / f"pipe-{tag}"
    shutil.copytree(home, work)
    db = open_db(work / "trainer.db")
    store.set_setting(db, "reviews_per_day", 1000)  # a backlog: each of the three sessions has its answers
    db.close()
    key = answer_key(work)
    long, short = f"answer_pipe_{session}_{tag}_ms", f"answer_pipe_30_{tag}_ms"
    figures[long] = pipe_session(work, now, session, key, long)  # the first session after the import
    figures[short] = pipe_session(work, now, 30, key, short)  # a short one, the log kept from the last
    figures[long] += pipe_session(work, now, session, key, long)
    shutil.rmtree(work, ignore_errors=True)
    return figures


@click.command()
@click.option("--tiny", is_flag=True, help="Small sizes and few repeats: a smoke run.")
@click.option("--scale", type=click.IntRange(1, 50), default=1, show_default=True,
              help="Also measure a database this many times the registry deck and its reviews.")
@click.option("--reviews", type=int, default=100_000, show_default=True, help="Reviews in the large database.")
@click.option("--runs", type=int, default=7, show_default=True, help="Repeats of each whole-process figure.")
@click.option("--answers", type=int, default=500, show_default=True, help="Answers timed inside the loop.")
@click.option("--anki", "anki_python", help="A Python with `anki` installed: run Anki's baseline alongside.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Write the figures here.")
def main(tiny: bool, scale: int, reviews: int, runs: int, answers: int, anki_python: str | None,
         json_path: Path | None) -> None:
    """Benchmark trainer and print a table of figures."""
    from trainer.paths import bundled_deck

    session = 300
    if tiny:
        reviews, runs, answers, session = 1500, 2, 40, 40
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
        if scale > 1:
            (tmp / "scaled").mkdir()
            results["scaled_db"] = build(tmp / "scaled", "registry", reviews, 365, 60, now, scale)
        click.echo("measuring...", err=True)
        own = tmp / "mine.yaml"
        own.write_text(bundled_deck("registry").read_text().replace("\nname: registry\n", "\nname: mine\n", 1))
        figures = measure_large(large, now, runs, answers, session, "large", tmp)
        figures.update({
            "first_question_small_s": time_to_first_question(small, now, runs),
            "answer_in_process_small_ms": [x * 1000 for x in per_answer(small, now, min(answers, 140))],
            "import_registry_s": import_deck(bundled_deck("registry"), max(runs // 2, 1), tmp, "import_registry_s"),
            "reimport_registry_s": import_deck(bundled_deck("registry"), max(runs // 2, 1), tmp,
                                               "reimport_registry_s", again=True),
            "import_own_yaml_680kb_s": import_deck(own, max(runs // 2, 1), tmp, "import_own_yaml_680kb_s"),
            "import_small_exam_s": import_deck(bundled_deck("exam"), runs, tmp, "import_small_exam_s"),
        })
        if scale > 1:
            figures.update(measure_large(tmp / "scaled", now, runs, answers, session, f"x{scale}", tmp))
            deck = scaled_deck("registry", scale, tmp / f"registry-x{scale}.yaml")
            figures[f"import_deck_x{scale}_s"] = import_deck(deck, 1, tmp, f"import_deck_x{scale}_s")
        own_log, stranger = open_checks_ms(large, runs * 20, 200 if tiny else 20_000)
        figures["open_checks_own_log_ms"] = own_log
        figures["open_checks_stranger_log_ms"] = stranger
        results["figures"] = {k: summary(v) for k, v in figures.items()}
        sent_s, merge_s, merge_mb, events = sync_merge(large, tmp, now)
        results["figures"]["sync_send_all_s"] = {"median": sent_s, "n": 1}
        results["figures"]["sync_merge_all_s"] = {"median": merge_s, "n": 1}  # target: under 3 s for 100,000
        PEAKS["sync_merge_all_s"] = merge_mb
        results["sync_events"] = events
        results["peak_mb"] = dict(PEAKS)
        if anki_python:
            click.echo("running Anki's baseline...", err=True)
            results["anki"] = anki_baseline(anki_python, tmp, 3 if not tiny else 2)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report(results, scale)
    if json_path:
        json_path.write_text(json.dumps(results, indent=1, default=str))


def report(results: dict[str, Any], scale: int) -> None:
    lg, sm = results["large_db"], results["small_db"]
    click.echo(f"large database: {lg['cards']} cards, {lg['reviews']} reviews, {lg['due_now']} due, {lg['db_mb']} MB; "
               f"small: {sm['cards']} cards, {sm['reviews']} reviews")
    if "scaled_db" in results:
        x = results["scaled_db"]
        click.echo(f"x{scale} database: {x['cards']} cards, {x['reviews']} reviews, {x['due_now']} due, "
                   f"{x['db_mb']} MB")
    f, peaks = results["figures"], results["peak_mb"]
    click.echo(f"{'figure':34s} {'median':>10s} {'p99':>10s} {'min':>10s} {'max':>10s} {'n':>5s} {'peak MB':>8s}")
    for k, v in f.items():
        cells = [f"{v[c]:10.3f}" if c in v else f"{'':10s}" for c in ("median", "p99", "min", "max")]
        peak = f"{peaks[k]:8.0f}" if k in peaks else ""
        click.echo(f"{k:34s} {' '.join(cells)} {v['n']:5d} {peak}")
    click.echo(f"peak memory of any command: {max(peaks.values()):.0f} MB")
    click.echo(f"sync: a new device took in {results['sync_events']} events (the large database's whole history) in "
               f"{f['sync_merge_all_s']['median']:.2f} s")
    if scale > 1:
        click.echo(f"x{scale} against the registry-sized database (target: each within 1.5x):")
        for k in f:
            if "_large_" in k and k.replace("_large_", f"_x{scale}_") in f:
                big = f[k.replace("_large_", f"_x{scale}_")]["median"]
                click.echo(f"  {k.replace('_large', ''):32s} {f[k]['median']:9.3f} -> {big:9.3f}  "
                           f"{big / f[k]['median']:.2f}x")
    if "anki" in results:
        anki_rows(results)


def anki_rows(results: dict[str, Any]) -> None:
    """Our figures beside Anki's, measured in the same run, with the targets of issue 19."""
    a, f = results["anki"], results["figures"]
    cards = results["large_db"]["cards"]

    def anki(name: str) -> float | None:
        return a[name]["median"] if name in a else None

    get, answer = anki("5_fsrs_get_next_card_ms"), anki("5_fsrs_answer_card_ms")
    felt = answer + get if answer is not None and get is not None else None
    spawn = anki("6_fsrs_process_spawn_to_question_ms")
    csv = anki("2_csv_import_14000_total_s")
    pipe = next(k for k in f if k.startswith("answer_pipe_") and "_30_" not in k and k.endswith("_large_ms"))
    read = anki("answer_paused_ms") or felt  # a pipe session reads each question first: Anki after the same read
    rows = [("first question, new process (s)", f["first_question_large_s"]["median"], spawn and spawn / 1000),
            ("answer, in process (ms)", f["answer_in_process_large_ms"]["median"], felt),
            ("answer after a 10 ms read, in process", f["answer_paused_large_ms"]["median"], anki("answer_paused_ms")),
            ("answer after a 10 ms read, p99", f["answer_paused_large_ms"]["p99"],
             a["answer_paused_ms"]["p99"] if "answer_paused_ms" in a else None),
            ("answer through a pipe (ms)", f[pipe]["median"], read),
            ("answer through a pipe, p99 (ms)", f[pipe]["p99"],
             a["answer_paused_ms"]["p99"] if "answer_paused_ms" in a else None),
            ("answer, 30-answer session (ms)", f["answer_pipe_30_large_ms"]["median"], read),
            ("import registry deck, per card (ms)", f["import_registry_s"]["median"] / cards * 1000,
             csv and csv / 28_000 * 1000)]
    click.echo("beside Anki (answer: Anki's answer card + get next card, FSRS, on disk, in a loop, or after the "
               "learner's 10 ms read for the rows that have one, pipe sessions included; import: Anki's CSV importer, "
               "14,000 notes = 28,000 cards, whole run)")
    for label, ours, theirs in rows:
        ratio = f"{ours / theirs:.2f}x Anki" if theirs else ""
        shown = f"{theirs:9.4f}" if theirs else f"{'':9s}"
        click.echo(f"  {label:40s} trainer {ours:9.4f}  anki {shown}  {ratio}")


if __name__ == "__main__":
    main()

"""Study on every machine: devices sharing one synced folder end with the same cards, reviews and stats,
whatever order they sync in, and nothing a file-sync engine does loses an answer."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trainer.cli import cli

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
ANSWERS = ["20 21", "22", "23", "x", "25", "53", "67 68", "69", "80", "nope", "123"]


def trainer(device: Path, args: list[str], input: str | None = None, when: datetime = START) -> Result:
    """`trainer ARGS --db DEVICE/trainer.db` at a pinned time: one device of the learner's."""
    device.mkdir(parents=True, exist_ok=True)
    return CliRunner().invoke(cli, [*args, "--db", str(device / "trainer.db")], input=input,
                              env={"TRAINER_NOW": when.isoformat()}, catch_exceptions=False)


def study(device: Path, when: datetime, answers: list[str], new: int = 3) -> None:
    result = trainer(device, ["review", "--new", str(new)], "\n".join(answers) + "\n", when)
    assert result.exit_code == 0, result.output


def sync(device: Path, folder: Path, when: datetime = START) -> str:
    result = trainer(device, ["sync", str(folder)], when=when)
    assert result.exit_code == 0, result.output
    return result.output


def cards(device: Path) -> list[tuple]:
    con = sqlite3.connect(device / "trainer.db")
    try:
        return con.execute("SELECT id, state, step, round(stability, 9), round(difficulty, 9), due, last_review, "
                           "reps, lapses, suspended FROM cards ORDER BY id").fetchall()
    finally:
        con.close()


def reviews(device: Path) -> list[tuple]:
    con = sqlite3.connect(device / "trainer.db")
    try:
        return con.execute("SELECT uid, card_id, reviewed_at, rating FROM log ORDER BY uid").fetchall()
    finally:
        con.close()


def stats(device: Path, when: datetime) -> dict:
    return json.loads(trainer(device, ["stats", "--json"], when=when).output)


def assert_same(devices: list[Path], when: datetime) -> None:
    first = devices[0]
    for other in devices[1:]:
        assert reviews(other) == reviews(first)
        assert cards(other) == cards(first)
        assert stats(other, when) == stats(first, when)


def test_two_devices_studying_offline_on_different_days_end_equal_in_either_order(tmp_path: Path) -> None:
    folder = tmp_path / "Sync"
    folder.mkdir()
    for order in ("ab", "ba"):
        a, b = tmp_path / order / "laptop", tmp_path / order / "desktop"
        shared = folder / order
        shared.mkdir()
        study(a, START, ANSWERS[:3])
        study(b, START + timedelta(days=1), ANSWERS[3:7], new=4)  # offline: the same first cards, other answers
        study(a, START + timedelta(days=2, hours=1), ANSWERS[7:10])
        first, second = (a, b) if order == "ab" else (b, a)
        sync(first, shared, START + timedelta(days=3))
        sync(second, shared, START + timedelta(days=3))
        sync(first, shared, START + timedelta(days=3))
        assert_same([a, b], START + timedelta(days=3))
        assert len(reviews(a)) == 3 + 4 + 3  # every answer from both devices, none twice


def test_three_devices_converge_whatever_order_they_sync_in(tmp_path: Path) -> None:
    when = START + timedelta(days=2)
    for n, order in enumerate(itertools.permutations(range(3))):
        devices = [tmp_path / str(n) / name for name in ("laptop", "desktop", "phone")]
        shared = tmp_path / str(n) / "Sync"
        shared.mkdir(parents=True)
        for i, d in enumerate(devices):
            study(d, START + timedelta(hours=5 * i), ANSWERS[i:i + 3])
        for i in order:
            sync(devices[i], shared, when)
        for i in order:
            sync(devices[i], shared, when)
        assert_same(devices, when)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 2), st.booleans(), st.integers(0, len(ANSWERS) - 3)), min_size=2,
                max_size=7))
def test_any_interleaving_of_study_and_sync_converges(tmp_path_factory: pytest.TempPathFactory,
                                                       steps: list[tuple[int, bool, int]]) -> None:
    base = tmp_path_factory.mktemp("interleaving")
    devices = [base / f"device{i}" for i in range(3)]
    shared = base / "Sync"
    shared.mkdir()
    when = START
    for i, studies, pick in steps:
        when += timedelta(hours=7)
        if studies:
            study(devices[i], when, ANSWERS[pick:pick + 3], new=2)
        else:
            sync(devices[i], shared, when)
    when += timedelta(hours=1)
    for _ in range(2):
        for d in devices:
            sync(d, shared, when)
    assert_same(devices, when)


def test_a_torn_line_waits_and_a_duplicated_or_deleted_folder_loses_nothing(tmp_path: Path) -> None:
    a, b, shared = tmp_path / "a", tmp_path / "b", tmp_path / "Sync"
    shared.mkdir()
    study(a, START, ANSWERS[:3])
    sync(a, shared)
    (log,) = [p for p in shared.rglob("*.jsonl")]
    whole = log.read_bytes()
    log.write_bytes(whole[: len(whole) - 40])  # the engine has copied most of the file so far
    out = sync(b, shared)
    assert "line(s) still being written, read next time" in out
    log.write_bytes(whole)  # the rest arrives
    sync(b, shared)
    assert reviews(b) == reviews(a)
    shutil.copytree(log.parent, shared / f"{log.parent.name}.sync-conflict")  # a whole folder duplicated
    shutil.copy(log, log.with_name("2026-03.sync-conflict-20260302.jsonl"))  # and a conflict copy of a file
    sync(b, shared)
    assert reviews(b) == reviews(a)  # the same events, not twice
    shutil.rmtree(log.parent)  # the laptop's folder deleted on some device
    study(b, START + timedelta(days=1), ANSWERS[3:6])
    sync(b, shared, START + timedelta(days=1))
    sync(a, shared, START + timedelta(days=1))
    again = {json.loads(line)["uid"] for p in (shared / log.parent.name).glob("*.jsonl")
             for line in p.read_text().splitlines()}
    assert {uid for uid, *_ in reviews(a) if uid.startswith(log.parent.name)} <= again  # written again from a
    c = tmp_path / "c"
    sync(c, shared, START + timedelta(days=1))  # a new device gets everything
    assert reviews(c) == reviews(a) == reviews(b)


def test_a_deck_of_your_own_imported_on_one_device_is_studied_on_another(tmp_path: Path) -> None:
    a, b, shared = tmp_path / "a", tmp_path / "b", tmp_path / "Sync"
    shared.mkdir()
    deck = tmp_path / "acronyms.yaml"
    deck.write_text("name: acronyms\nfacts:\n- front: What does CIA stand for?\n  back: confidentiality integrity "
                    "availability\n- front: What does AAA stand for?\n  back: authentication authorization "
                    "accounting\n", encoding="utf-8")
    assert trainer(a, ["import", str(deck)]).exit_code == 0
    sync(a, shared)
    sync(b, shared)
    out = trainer(b, ["review", "--deck", "acronyms"], "authentication authorization accounting\n",
                  START + timedelta(hours=1)).output
    assert "What does" in out
    sync(b, shared, START + timedelta(hours=1))
    sync(a, shared, START + timedelta(hours=1))
    assert_same([a, b], START + timedelta(hours=1))


def test_settings_suspensions_and_undo_follow_the_learner(tmp_path: Path) -> None:
    a, b, shared = tmp_path / "a", tmp_path / "b", tmp_path / "Sync"
    shared.mkdir()
    study(a, START, ["20 21"], new=1)  # FTP
    assert trainer(a, ["settings", "desired_retention", "0.85"]).exit_code == 0
    assert trainer(a, ["settings", "choice", "true"]).exit_code == 0  # this terminal's preference: stays here
    assert trainer(a, ["suspend", "exam/telnet/service-port"]).exit_code == 0
    sync(a, shared)
    sync(b, shared)
    shown = trainer(b, ["settings"]).output
    assert "desired_retention = 0.85" in shown and "choice = false" in shown
    assert [c for c in cards(b) if c[0] == "exam/telnet/service-port"][0][-1] == 1
    # b reviews FTP after a did: a may no longer take its FTP answer back
    study(b, START + timedelta(minutes=30), ["20 21"], new=0)
    sync(b, shared, START + timedelta(minutes=31))
    sync(a, shared, START + timedelta(minutes=31))
    refused = trainer(a, ["undo"], when=START + timedelta(minutes=32))
    assert refused.exit_code == 1 and refused.output.startswith("Error: another device has reviewed "
                                                                 "exam/ftp/service-port since your answer '20 21'")
    assert trainer(b, ["undo"], when=START + timedelta(minutes=32)).output.startswith("Took back your answer '20 21'")
    sync(b, shared, START + timedelta(minutes=33))
    sync(a, shared, START + timedelta(minutes=33))
    assert_same([a, b], START + timedelta(minutes=33))  # the undo travelled: both read FTP's one answer


def test_a_copied_database_becomes_a_device_of_its_own(tmp_path: Path) -> None:
    a, shared = tmp_path / "a", tmp_path / "Sync"
    shared.mkdir()
    study(a, START, ANSWERS[:2])
    sync(a, shared)
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(a / "trainer.db", copy / "trainer.db")  # the folder copied to a second machine
    study(copy, START + timedelta(hours=2), ANSWERS[2:4], new=2)
    out = sync(copy, shared, START + timedelta(hours=2))
    assert "This database was copied or moved" in out
    assert len([p for p in shared.iterdir() if p.is_dir()]) == 2
    sync(a, shared, START + timedelta(hours=2))
    assert_same([a, copy], START + timedelta(hours=2))


def test_sync_without_a_folder_and_with_a_wrong_one_is_one_line(tmp_path: Path) -> None:
    a = tmp_path / "a"
    study(a, START, ANSWERS[:1])
    none_yet = trainer(a, ["sync"])
    assert none_yet.exit_code == 1 and none_yet.output.startswith("Error: no sync folder yet")
    missing = trainer(a, ["sync", str(tmp_path / "nowhere")])
    assert missing.exit_code == 1 and "no such folder" in missing.output
    (tmp_path / "Sync").mkdir()
    (tmp_path / "Sync" / "trainer.db").write_bytes((a / "trainer.db").read_bytes())  # copied in by mistake
    out = sync(a, tmp_path / "Sync")
    assert "a database file in the sync folder is never read" in out
    assert trainer(a, ["sync"]).exit_code == 0  # the folder is remembered
    status = trainer(a, ["sync", "--status"]).output
    assert "(this device)" in status and "Waiting: 0 to send, 0 to take in." in status


def test_an_undo_whose_review_is_in_a_file_that_has_not_arrived_yet_waits_for_it(tmp_path: Path) -> None:
    a, b, shared = tmp_path / "a", tmp_path / "b", tmp_path / "Sync"
    shared.mkdir()
    march = datetime(2026, 3, 31, 20, tzinfo=timezone.utc)
    study(a, march, ["20 21"], new=1)
    sync(a, shared, march)  # the review: 2026-03.jsonl
    april = march + timedelta(days=1)
    assert trainer(a, ["undo"], when=april).exit_code == 0
    sync(a, shared, april)  # the undo: 2026-04.jsonl
    (device,) = [p for p in shared.iterdir() if p.is_dir()]
    held = tmp_path / "held"
    (device / "2026-03.jsonl").rename(held)  # the engine delivers April's file first
    assert "1 wait for earlier files" in sync(b, shared, april)
    held.rename(device / "2026-03.jsonl")
    sync(b, shared, april)
    assert_same([a, b], april)
    assert [c[7] for c in cards(b) if c[0] == "exam/ftp/service-port"] == [0]  # undone everywhere: new again


def test_an_undo_or_a_setting_on_a_card_both_devices_studied_leaves_them_equal(tmp_path: Path) -> None:
    a, b, shared = tmp_path / "a", tmp_path / "b", tmp_path / "Sync"
    shared.mkdir()
    study(a, START, ["20 21"], new=1)  # both meet FTP offline
    study(b, START + timedelta(minutes=5), ["20 21"], new=1)
    for d in (a, b, a):
        sync(d, shared, START + timedelta(minutes=6))
    assert stats(a, START + timedelta(minutes=6))["today"]["new_left"] == 19  # one new card met on two devices
    from trainer import store
    from trainer.db import open_db

    met = store.new_by_deck_since(open_db(a / "trainer.db"), START - timedelta(hours=1))
    assert met == {"exam": 1}  # and one against a deck's own limit too
    day3 = START + timedelta(days=2)
    assert trainer(a, ["settings", "desired_retention", "0.85"], when=day3).exit_code == 0
    assert "✗ Wrong" in trainer(a, ["review", "--new", "0", "--ahead", "1"], "x\n", day3).output  # FTP, then undone
    assert trainer(a, ["undo"], when=day3).output.startswith("Took back your answer 'x'")
    for d in (a, b, a):
        sync(d, shared, day3)
    assert_same([a, b], day3)


def test_a_damaged_line_written_again_is_not_announced_forever_and_a_file_is_no_folder(tmp_path: Path) -> None:
    a, b, shared = tmp_path / "a", tmp_path / "b", tmp_path / "Sync"
    shared.mkdir()
    study(a, START, ANSWERS[:2], new=2)
    sync(a, shared)
    (log,) = list(shared.rglob("*.jsonl"))
    log.write_bytes(log.read_bytes()[:-30])  # a crash cut the last line
    sync(a, shared)  # a writes the cut event again after a newline
    out = sync(b, shared)
    assert "still being written" not in out and reviews(b) == reviews(a)
    afile = tmp_path / "afile"
    afile.write_text("x")
    result = trainer(a, ["sync", str(afile)])
    assert result.exit_code == 1 and result.output == f"Error: {afile}: not a folder\n"


def test_a_break_set_on_one_device_moves_the_same_reviews_on_the_other(tmp_path: Path) -> None:
    from trainer import store
    from trainer.db import open_db
    from trainer.deck import load_deck
    from trainer.import_plan import plan
    from trainer.paths import bundled_deck
    from trainer.scheduler import Params
    from trainer.simulate import simulate_history

    a, b, shared = tmp_path / "a", tmp_path / "b", tmp_path / "Sync"
    shared.mkdir()
    a.mkdir()
    db = open_db(a / "trainer.db")
    store.import_decks(db, [plan(load_deck(bundled_deck("exam")))], START)
    simulate_history(db, START, 20, Params(), Params(enable_fuzzing=False), seed=5, new_per_day=8)
    db.close()
    later = START + timedelta(days=20)
    sync(a, shared, later)
    sync(b, shared, later)
    assert "reviews due then move out of it" in trainer(a, ["break", "2026-03-25", "2026-03-29"], when=later).output
    sync(a, shared, later)
    sync(b, shared, later)
    assert_same([a, b], later)
    assert not any("2026-03-25" <= (c[5] or "")[:10] <= "2026-03-29" for c in cards(b) if c[1] == 2)


def test_lines_a_device_cannot_use_are_left_out_and_never_break_this_one(tmp_path: Path) -> None:
    a, shared = tmp_path / "a", tmp_path / "Sync"
    (shared / "evil").mkdir(parents=True)
    study(a, START, ["20 21"], new=1)
    at = START.isoformat()
    lines = [{"v": 1, "uid": "evil.r1", "type": "review", "at": at, "card": "exam/ftp/service-port", "rating": "x"},
             {"v": 1, "uid": "evil.r2", "type": "review", "at": at, "card": 5, "rating": 3},
             {"v": 1, "uid": "evil.r3", "type": "review", "at": at, "card": "exam/ssh/service-port", "rating": 3,
              "before": "[1]", "after": {}},
             {"v": 1, "uid": "evil.e1", "type": "event", "kind": "setting", "at": at,
              "data": {"key": "new_per_day", "value": "lots"}},
             {"v": 1, "uid": "evil.e2", "type": "event", "kind": "setting", "at": at,
              "data": {"key": "desired_retention", "value": 7}},
             {"v": 1, "uid": "evil.e3", "type": "event", "kind": "import", "at": at, "deck": "x",
              "data": {"yaml": "name: x\nfacts: [1, 2"}}]
    (shared / "evil" / "2026-03.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\nnot json\n[1]\n")
    out = sync(a, shared)
    assert "6 lines this version cannot read, left out." in out
    shown = trainer(a, ["settings"]).output
    assert "new_per_day = 20" in shown and "desired_retention = 0.9 " in shown
    assert len(reviews(a)) == 1 and trainer(a, ["stats", "--json"]).exit_code == 0


def test_lines_that_would_break_sql_or_stats_are_left_out(tmp_path: Path) -> None:
    a, shared = tmp_path / "a", tmp_path / "Sync"
    (shared / "evil").mkdir(parents=True)
    study(a, START, ["20 21"], new=1)
    at, card = START.isoformat(), "exam/ssh/service-port"
    good = {"state": 1, "step": 1, "stability": 1.0, "difficulty": 5.0, "due": at, "last_review": at}
    base = {"v": 1, "type": "review", "at": at, "card": card, "rating": 3, "before": {}, "after": good}
    lines = [{**base, "uid": "evil.r1", "ms": 10**30}, {**base, "uid": "evil.r2", "correct": "abc"},
             {**base, "uid": "evil.r3", "after": {}},  # a studied card with no due date broke `stats` for good
             {**base, "uid": "evil.r4", "after": {"state": 2, "due": "garbage"}},
             {**base, "uid": "evil.r5", "confused": {"x": 1}},
             {"v": 1, "uid": "evil.e1", "type": "event", "kind": "undo", "at": at, "review": 10**30},
             {"v": 1, "uid": "evil.e2", "type": "event", "kind": "suspend", "at": 10**30, "card": card},
             {"v": 1, "uid": "evil.e3", "type": "event", "kind": "prune", "at": at, "data": {"fact": 10**30}},
             {"v": 1, "uid": "evil.e4", "type": "event", "kind": ["x"], "at": at}]
    text = "\n".join(json.dumps(x) for x in lines) + "\n" + '{"v":1,"uid":"evil.x","a":' + "[" * 100000 + "\n"
    (shared / "evil" / "2026-03.jsonl").write_text(text)
    out = sync(a, shared)
    assert "9 lines this version cannot read, left out." in out
    assert trainer(a, ["stats", "--json"]).exit_code == 0 and len(reviews(a)) == 1
    assert sync(a, shared).count("cannot read") == 1  # the next sync goes on too
    fifo = shared / "evil" / "2026-04.jsonl"
    os.mkfifo(fifo)  # a pipe is never opened (it would block)
    assert "cannot read" in sync(a, shared)


def test_a_sync_folder_may_not_hold_the_database_nor_be_empty(tmp_path: Path) -> None:
    a = tmp_path / "a"
    study(a, START, ["20 21"], new=1)
    inside = trainer(a, ["sync", str(a)])
    assert inside.exit_code == 1 and "holds this database" in inside.output
    empty = trainer(a, ["sync", ""])
    assert empty.exit_code == 1 and empty.output.strip() == "Error: give the sync folder: `trainer sync DIR`"
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    looped = trainer(a, ["sync", str(loop)])
    assert looped.exit_code == 1 and looped.output.startswith(f"Error: {loop}: cannot use it as a sync folder")


def test_weights_fitted_on_one_device_rebuild_every_card_on_both_and_a_bad_setting_is_refused(tmp_path: Path) -> None:
    from trainer import optimize, store
    from trainer.db import open_db
    from trainer.scheduler import DEFAULT_WEIGHTS

    a, b, shared = tmp_path / "a", tmp_path / "b", tmp_path / "Sync"
    shared.mkdir()
    study(a, START, ANSWERS[:3])
    study(a, START + timedelta(days=2), ANSWERS[3:6])
    for d in (a, b):
        sync(d, shared, START + timedelta(days=2))
    db = open_db(a / "trainer.db")
    weights = tuple(w * 1.1 for w in DEFAULT_WEIGHTS)
    optimize.adopt(db, weights, store.schedule_params(db), START + timedelta(days=2))  # `trainer optimize` on a
    db.close()
    for d in (a, b):
        sync(d, shared, START + timedelta(days=2))
    assert_same([a, b], START + timedelta(days=2))  # b replayed every card with them too
    bad = {"v": 1, "uid": "evil.e1", "type": "event", "kind": "setting", "at": (START + timedelta(days=3)).isoformat(),
           "data": {"key": "weights", "value": [1, 2]}}
    (shared / "evil").mkdir()
    (shared / "evil" / "2026-03.jsonl").write_text(json.dumps(bad) + "\n")
    assert "1 line this version cannot read" in sync(b, shared, START + timedelta(days=3))


@given(st.lists(st.one_of(
    st.builds(lambda d, t, n: f"{d}.{t}{n}", st.sampled_from(["a1b2", "c3d4", "x.y"]), st.sampled_from("rex"),
              st.integers(0, 3000)),
    st.builds(lambda d, n: f"{d}.r{n}", st.sampled_from(["a1b2"]), st.integers(2**24 - 2, 2**24 + 2)),
    st.sampled_from(["a1b2.r07", "a1b2.r", "a1b2.r²", "plain", "a1b2.e0"])), max_size=60),
    st.lists(st.text(max_size=12), max_size=5))
def test_the_compact_id_set_answers_as_a_set_of_the_same_ids_would(ids: list[str], strangers: list[str]) -> None:
    """Sync keeps event ids one bit each (a million ids as strings took 100 MB): every question a sync asks of them
    gets a plain set's answer, for trainer's own ids and any other text."""
    from trainer.sync import Uids

    half = ids[: len(ids) // 2]
    compact, other = Uids(ids), Uids(half)
    for uid in ids + strangers + ["a1b2.r5000", "c3d4.e1", "zz.r1"]:
        assert (uid in compact) == (uid in set(ids)), uid
    assert len(compact) == len(set(ids))
    assert compact.count_not_in(other) == len(set(ids) - set(half))
    counts: dict[str, int] = {}
    for uid in set(ids):
        counts[uid.split(".")[0]] = counts.get(uid.split(".")[0], 0) + 1
    assert compact.by_device() == counts
    merged = Uids(strangers)
    merged.update(compact)
    assert all(u in merged for u in ids + strangers) and len(merged) == len(set(ids) | set(strangers))


def test_a_rating_changed_after_the_answer_schedules_the_card_alike_on_every_device(tmp_path: Path) -> None:
    """In the terminal a learner may rate an answer Hard instead of Good: the other devices read the same rating
    and the same next review (a new trial found the other device kept Good's interval)."""
    from trainer import store
    from trainer.db import open_db
    from trainer.history import override
    from trainer.scheduler import Rating

    a, b, shared = tmp_path / "a", tmp_path / "b", tmp_path / "Sync"
    shared.mkdir()
    study(a, START, ["20 21", "22"], new=2)
    db = open_db(a / "trainer.db")
    newest = store.review_log(db)[-1]
    at = START + timedelta(seconds=30)
    override(db, store.settings(db).params(), at, newest.id, newest.card_id, Rating.HARD)
    db.close()
    sync(a, shared, at)
    sync(b, shared, at)
    assert [r[3] for r in reviews(b)] == [r[3] for r in reviews(a)] and Rating.HARD in [r[3] for r in reviews(b)]
    assert cards(b) == cards(a)
    older = tmp_path / "older-Sync"  # the same folder as an older trainer wrote it: the event has no state
    shutil.copytree(shared, older)
    for path in older.rglob("*.jsonl"):
        lines = [json.loads(line) for line in path.read_text().splitlines()]
        for ev in lines:
            if ev.get("kind") == "rating":
                assert ev["data"].pop("after")
        path.write_text("".join(json.dumps(ev) + "\n" for ev in lines))
    c = tmp_path / "c"
    sync(c, older, at)
    assert cards(c) == cards(a)  # replayed through FSRS, as the device that re-rated it computed

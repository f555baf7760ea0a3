"""A learner who studied an older bundled deck gets the corrected one on upgrade, keeping every review."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import exam_cards, run

from trainer.cli import cli
from trainer.paths import bundled_decks_dir

REAL_DECKS = bundled_decks_dir
DAY5 = "2026-03-06T09:00:00+00:00"




@pytest.fixture
def old_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The bundled decks as an older trainer shipped them: SMTPS keyed to 465, as before N10-009's row."""
    old = tmp_path / "old-decks"
    shutil.copytree(bundled_decks_dir(), old)
    text = (old / "exam.yaml").read_text(encoding="utf-8")
    smtps = text.index("- key: smtps\n")
    end = text.index("- key: ", smtps + 1)
    block = text[smtps:end].replace("ports: [587]", "ports: [465]")
    block = block.replace("registry: submission", "registry: submissions")
    (old / "exam.yaml").write_text(text[:smtps] + block + text[end:], encoding="utf-8")
    monkeypatch.setattr("trainer.paths.bundled_decks_dir", lambda: old)
    return old


def upgrade(monkeypatch: pytest.MonkeyPatch) -> None:
    """The new version of trainer: the bundled decks it really ships."""
    monkeypatch.setattr("trainer.paths.bundled_decks_dir", REAL_DECKS)


def test_an_upgrade_updates_the_bundled_deck_keeps_reviews_and_resets_changed_answers(
        isolated_home: Path, old_version: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run(["review", "--new", "0"])
    con = sqlite3.connect(isolated_home / "trainer.db")
    con.execute("INSERT INTO settings VALUES ('fuzz', 'false')")
    con.commit()
    # study SMTPS (old answer 465) and FTP (unchanged) through their learning steps
    assert run(["suspend", "exam/*/service-port"]).exit_code == 0
    run(["unsuspend", "exam/smtps/service-port", "exam/ftp/service-port"])
    out = run(["review", "--new", "2"], input="20 21\n465\n20 21\n465\n").output
    assert out.count("✓") == 4, out
    before = dict(con.execute("SELECT id, reps FROM cards WHERE reps > 0"))
    assert before == {"exam/ftp/service-port": 2, "exam/smtps/service-port": 2}

    upgrade(monkeypatch)
    out = run(["review", "--new", "0"], when=DAY5).output
    first = out.splitlines()[0]
    assert first.startswith("Updated the bundled deck 'exam' to this version of trainer") and "1 changed" in first
    assert "1 card you studied now expects another answer and starts again as new, history kept" in first
    rows = dict(con.execute("SELECT id, reps FROM cards WHERE reps > 0"))
    assert rows == {"exam/ftp/service-port": 2}  # SMTPS starts again; FTP keeps its schedule
    assert con.execute("SELECT count(*) FROM reviews").fetchone()[0] == 4  # every review kept
    smtps = json.loads(con.execute("SELECT data FROM facts WHERE id = 'exam/smtps'").fetchone()[0])
    assert smtps["ports"] == [587]
    again = run(["review", "--new", "0"], when=DAY5).output
    assert "Updated" not in again  # told once


def test_a_database_from_before_bundled_tracking_is_updated_too(isolated_home: Path, old_version: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    run(["review", "--new", "0"])
    con = sqlite3.connect(isolated_home / "trainer.db")
    con.execute("UPDATE decks SET bundled_sha1 = ''")  # as migration m005 marks decks imported earlier
    con.commit()
    upgrade(monkeypatch)
    assert run(["review", "--new", "0"]).output.startswith("Updated the bundled deck 'exam'")


def test_a_learner_chooses_the_question_kinds_of_a_deck(isolated_home: Path) -> None:
    run(["review", "--new", "0"])
    out = run(["decks", "set", "exam", "--kinds", "service-port,port-service"]).output
    both = len(exam_cards(("service-port", "port-service")))
    assert out.startswith(f"exam: asks service-port, port-service; {both} cards.")
    assert f"{len(exam_cards()) - both} set aside" in out
    shown = run(["decks", "show", "exam"]).output
    assert "question kinds: service-port, port-service (your choice; the deck's own: service-port, port-service, " \
           "transport, range, secure, service-number, number-service, front-back)" in shown
    three = len(exam_cards(("service-port", "port-service", "transport")))
    assert f"exam: asks service-port, port-service, transport; {three} cards." in run(
        ["decks", "set", "exam", "--kinds", "service-port,port-service,transport"]).output
    bad = CliRunner().invoke(cli, ["decks", "set", "exam", "--kinds", "colour"])
    assert bad.exit_code == 1 and "colour is not one of service-port" in bad.output
    con = sqlite3.connect(isolated_home / "trainer.db")
    ranges = sum(c.kind == "range" for c in exam_cards())
    assert con.execute("SELECT count(*) FROM cards WHERE kind = 'range' AND suspended = 2").fetchone()[0] == ranges
    listed = json.loads(run(["cards", "--deck", "exam", "--suspended", "--json"]).output)
    assert {c["state"] for c in listed if c["id"].endswith("/range")} == {"kind off"}  # not "not in file": it is
    out = run(["decks", "set", "exam", "--kinds", "all"]).output  # the help listed 5 kinds of the exam deck's 8
    from trainer.deck import load_deck
    from trainer.paths import bundled_deck

    own = load_deck(bundled_deck("exam")).kinds
    assert out.startswith(f"exam: asks {', '.join(own)}; {len(exam_cards())} cards.")
    assert "your choice" not in run(["decks", "show", "exam"]).output  # no choice left: the file's kinds apply
    assert "number-service,front-back,back-front" in CliRunner().invoke(cli, ["decks", "set", "--help"]).output


def test_suspend_takes_a_pattern(isolated_home: Path) -> None:
    run(["review", "--new", "0"])
    ranges = sum(c.kind == "range" for c in exam_cards())
    assert run(["suspend", "exam/*/range"]).output.strip() == f"Suspended {ranges} cards."
    assert run(["unsuspend", "exam/rdp/*"]).output.strip() == "Restored 1 card."
    bad = CliRunner().invoke(cli, ["suspend", "exam/*/rnge"])
    assert bad.exit_code == 1 and "no card matches 'exam/*/rnge'" in bad.output


def test_a_new_database_is_the_one_the_migrations_make(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A first start makes the database from the shipped schema snapshot instead of running every migration; it
    must be the same database (`python scripts/build_schema.py` rewrites the snapshot), with a device id of its own,
    and a start without the snapshot still works."""
    from trainer import db as tdb
    from trainer import store

    migrated = sqlite3.connect(":memory:", isolation_level=None)
    tdb._migrate(tdb.Database(migrated))
    assert tdb.SCHEMA.read_text(encoding="utf-8") == tdb.schema_snapshot(migrated), "run scripts/build_schema.py"

    def shape(conn: sqlite3.Connection) -> list[tuple[str, ...]]:
        return conn.execute("SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master ORDER BY name").fetchall()  # noqa: E501

    def ran(conn: sqlite3.Connection) -> list[str]:
        return [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]

    first, second = tdb.open_db(tmp_path / "a" / "trainer.db"), tdb.open_db(tmp_path / "b" / "trainer.db")
    monkeypatch.setattr(tdb, "SCHEMA", tmp_path / "no-such.sql")
    without = tdb.open_db(tmp_path / "c" / "trainer.db")
    for made in (first, second, without):
        assert shape(made.conn) == shape(migrated) and ran(made.conn) == ran(migrated)
    devices = {store.device_id(d) for d in (first, second, without)}
    assert len(devices) == 3 and all(len(d) == 12 for d in devices)
    assert CliRunner().invoke(cli, ["review", "--new", "1", "--db", str(tmp_path / "a" / "trainer.db")],
                              input="21\n").exit_code == 0

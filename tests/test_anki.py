"""Anki both ways, checked with Anki's own library: a package keeps each card's schedule and review log, and
a package Anki 2.1.50+ writes (zstd-compressed) comes in with its history, both directions and its deck name."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import rows, run

from trainer import store
from trainer.db import open_db
from trainer.deck import load_deck
from trainer.import_plan import plan
from trainer.paths import bundled_deck
from trainer.scheduler import Params
from trainer.simulate import simulate_history

anki = pytest.importorskip("anki.collection")  # anki must be imported before anki.cards
START = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)


def test_an_exported_package_keeps_every_cards_schedule_and_review_log_in_anki(isolated_home: Path,
                                                                              tmp_path: Path) -> None:
    db = open_db(isolated_home / "trainer.db")
    store.import_decks(db, [plan(load_deck(bundled_deck("exam")))], START)
    exact = Params(enable_fuzzing=False)
    simulate_history(db, START, 12, exact, exact, seed=3, new_per_day=10)
    ours = {r["card_id"]: r for r in rows(isolated_home, "SELECT id AS card_id, state, due, reps FROM cards "
                                                         "WHERE reps > 0")}
    logged = rows(isolated_home, "SELECT count(*) AS n FROM reviews WHERE mode = 'review'")[0]["n"]
    db.close()
    out = tmp_path / "exam.apkg"
    assert run(["export", "exam", "--format", "apkg", "-o", str(out)], when=START + timedelta(days=12)).exit_code == 0

    col = anki.Collection(str(tmp_path / "anki.anki2"))
    col.import_anki_package(anki.ImportAnkiPackageRequest(package_path=str(out), options=anki.ImportAnkiPackageOptions(
        merge_notetypes=True, with_scheduling=True, with_deck_configs=False)))
    assert col.db.scalar("SELECT count() FROM revlog") == logged > 100
    assert col.db.scalar("SELECT sum(reps) FROM cards") == sum(r["reps"] for r in ours.values())
    crt = col.db.scalar("SELECT crt FROM col")
    checked = 0
    for guid_card, (ctype, due) in _anki_cards(col).items():
        mine = ours.get(guid_card)
        if mine is None or mine["state"] != 2:
            continue
        anki_due = (datetime.fromtimestamp(crt, tz=timezone.utc) - timedelta(hours=4)).date() + timedelta(days=due)
        ours_due = (datetime.fromisoformat(mine["due"]) - timedelta(hours=4)).date()  # both: study days
        assert ctype == 2 and anki_due == ours_due, (guid_card, anki_due, ours_due)
        checked += 1
    assert checked >= 10
    col.close()


def _anki_cards(col: object) -> dict[str, tuple[int, int]]:
    """Our card id -> (Anki card type, due), by the note guid the export derives from our card id."""
    import genanki

    from trainer.cards import plan_cards

    guid_of = {genanki.guid_for(c.id): c.id for c in plan_cards(load_deck(bundled_deck("exam")))}
    return {guid_of[g]: (t, d) for g, t, d in col.db.all(  # type: ignore[attr-defined]
        "SELECT n.guid, c.type, c.due FROM cards c JOIN notes n ON n.id = c.nid") if g in guid_of}


def make_anki_package(tmp_path: Path) -> Path:
    """A package as Anki 2.1.50+ exports it by default, with reviews, from Anki's own library."""
    from anki.cards import Card
    from anki.scheduler.v3 import CardAnswer

    col = anki.Collection(str(tmp_path / "source.anki2"))
    did = col.decks.id("Security+::Ports")
    for front, back, model in [("Port of RDP", "3389<br>TCP", "Basic (and reversed card)"),
                               ("What does CIA stand for?", "Confidentiality, integrity, availability", "Basic"),
                               ("Port of SSH", "22", "Basic (and reversed card)")]:
        note = col.new_note(col.models.by_name(model))
        note["Front"], note["Back"] = front, back
        col.add_note(note, did)
    col.decks.select(did)
    for _ in range(4):
        queued = col.sched.get_queued_cards(fetch_limit=1).cards[0]
        card = Card(col)
        card._load_from_backend_card(queued.card)
        card.start_timer()
        col.sched.answer_card(col.sched.build_answer(card=card, states=queued.states, rating=CardAnswer.GOOD))
    path = tmp_path / "from-anki.apkg"
    col.export_anki_package(out_path=str(path), limit=anki.DeckIdLimit(did), options=anki.ExportAnkiPackageOptions(
        with_scheduling=True, with_deck_configs=False, with_media=False, legacy=False))
    col.close()
    return path


def test_a_package_from_current_anki_comes_in_with_its_history_both_ways_under_its_deck_name(
        isolated_home: Path, tmp_path: Path) -> None:
    """Answers dated after the import (a clock gone wrong) would be left out: the import runs after Anki's."""
    apkg = make_anki_package(tmp_path)
    import zipfile

    assert "collection.anki21b" in zipfile.ZipFile(apkg).namelist()  # the zstd format, not the legacy one
    after = datetime.now(timezone.utc) + timedelta(hours=1)  # Anki answered at the wall clock's time
    result = run(["import", str(apkg)], when=after)
    assert result.exit_code == 0, result.output
    assert "security-ports: 3 added" in result.output and "5 cards." in result.output  # 2 reversed notes: 4 + 1
    assert "4 past reviews kept, and the cards scheduled from them." in result.output
    studied = rows(isolated_home, "SELECT id, reps FROM cards WHERE reps > 0")
    assert len(studied) == 4 and all(r["reps"] == 1 for r in studied)
    assert rows(isolated_home, "SELECT title FROM decks")[0]["title"] == "Security+::Ports"
    again = run(["import", str(apkg)], when=after)  # a second import brings no review twice
    assert "past reviews kept" not in again.output
    assert rows(isolated_home, "SELECT count(*) AS n FROM reviews")[0]["n"] == 4

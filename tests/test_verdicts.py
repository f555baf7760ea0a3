"""Every verdict a candidate meets, checked against a table: the exam deck's facts in the forms people type."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from trainer import store
from trainer.answers import DeckAnswers
from trainer.db import Database, open_db
from trainer.deck import load_deck
from trainer.grading import grade
from trainer.import_plan import plan
from trainer.paths import bundled_deck
from trainer.session import spec_for

TABLES = sorted((Path(__file__).parent / "fixtures").glob("verdicts*.tsv"))  # verdicts.tsv: exam and common
BUNDLED = ("exam", "common", "protocols", "icmp", "concepts")


def rows() -> list[tuple[str, str, str]]:
    out = []
    for table in TABLES:
        for line in table.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                card, answer, verdict = line.split("\t")
                out.append((card, answer, verdict))
    return out


ROWS = rows()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Database:
    db = open_db(tmp_path_factory.mktemp("verdicts") / "trainer.db")
    for name in BUNDLED:
        store.import_decks(db, [plan(load_deck(bundled_deck(name)))], datetime(2026, 3, 2, tzinfo=timezone.utc))
    return db


def verdict(db: Database, card_id: str, answer: str) -> str:
    card = store.card_by_id(db, card_id)
    assert card is not None and card.suspended == 0, f"{card_id} is not a card that is asked"
    answers = DeckAnswers(store.answer_index(db, card.deck), lambda keys: store.facts_by_key(db, card.deck, keys))
    v = grade(answers.widen(spec_for(db, card), card.fact), answer, None, answers)
    return ("typo" if v.typo else "right") if v.correct else "wrong"


def test_the_table_covers_every_exam_card_and_every_kind(db: Database) -> None:
    assert len(ROWS) >= 400
    asked = {c.id for c in store.find_cards(db, "exam")}
    assert asked <= {card for card, _, _ in ROWS}
    assert {v for _, _, v in ROWS} == {"right", "typo", "wrong"}


@pytest.mark.parametrize("deck", BUNDLED)
def test_every_bundled_deck_has_ten_rows_per_kind_of_question_it_asks(db: Database, deck: str) -> None:
    kinds = {c.kind for c in store.find_cards(db, deck)}
    rows_per_kind = {k: sum(1 for card, _, _ in ROWS if card.startswith(f"{deck}/") and card.endswith(f"/{k}"))
                     for k in kinds}
    assert kinds and min(rows_per_kind.values()) >= 10, rows_per_kind


@pytest.mark.parametrize("card_id,answer,expected", ROWS, ids=[f"{c}:{a}" for c, a, _ in ROWS])
def test_verdict(db: Database, card_id: str, answer: str, expected: str) -> None:
    assert verdict(db, card_id, answer) == expected

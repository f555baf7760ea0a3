"""The study loop itself, driven through a fake Prompter: ask, grade, schedule, record, show, rate, undo."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from trainer import session, store
from trainer.cards import CardSpec
from trainer.db import Database, open_db
from trainer.deck import load_deck
from trainer.grading import Verdict
from trainer.import_plan import plan
from trainer.paths import bundled_deck
from trainer.scheduler import CardState, Params, Rating

T0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)


class FakePrompter:
    """Answers and ratings from scripts; remembers what the learner was shown."""

    timed = False

    def __init__(self, answers: list[str], ratings: list[int | None] | None = None) -> None:
        self.answers, self.ratings = list(answers), list(ratings or [])
        self.asked: list[str] = []
        self.verdicts: list[tuple[str, bool, list[str]]] = []
        self.notices: list[str] = []

    def ask(self, card: CardSpec, number: int, total: int) -> str | None:
        self.asked.append(card.question)
        return self.answers.pop(0) if self.answers else None

    def show_verdict(self, card: CardSpec, verdict: Verdict, after: CardState | None, now: datetime,
                     extra: list[str]) -> None:
        self.verdicts.append((card.id, verdict.correct, extra))

    def choose_rating(self, suggested: int, previews: dict[int, CardState], now: datetime,
                      offer_accept: bool = False) -> int | None:
        chosen = self.ratings.pop(0) if self.ratings else suggested
        return suggested if chosen == -1 else chosen

    def ask_text(self, mark: str) -> str | None:

        return None


    def notice(self, line: str) -> None:
        self.notices.append(line)

    def offer_suspend(self, card: CardSpec) -> bool:
        return False

    def self_grade(self, card: CardSpec, number: int, total: int) -> tuple[str, int] | None:
        return None


def exam_db(home: Path) -> Database:
    db = open_db(home / "trainer.db")
    store.import_decks(db, [plan(load_deck(bundled_deck("exam")))], T0)
    return db


def run(db: Database, prompter: FakePrompter, n: int) -> session.Summary:
    queue = store.new_cards(db, n)
    return session.run(db, prompter, queue, lambda: T0, iter(range(100)).__next__, Params(enable_fuzzing=False))


def test_a_session_asks_grades_records_and_names_what_a_wrong_answer_was(isolated_home: Path) -> None:
    db = exam_db(isolated_home)
    fake = FakePrompter(["20 21", "23"])  # FTP right; SSH's port answered with Telnet's
    summary = run(db, fake, 2)
    assert fake.asked[:2] == ["Which ports does FTP use?", "Which port does SSH use?"]
    assert fake.verdicts[0] == ("exam/ftp/service-port", True, [])
    assert fake.verdicts[1] == ("exam/ssh/service-port", False, ["23 is Telnet."])
    assert (summary.answered, summary.correct, summary.ended_early) == (2, 1, True)  # input ran out at the 3rd
    logged = db.execute("SELECT card_id, answer, correct, rating FROM reviews ORDER BY id").fetchall()
    assert logged == [("exam/ftp/service-port", "20 21", 1, Rating.GOOD),
                      ("exam/ssh/service-port", "23", 0, Rating.AGAIN)]
    assert db.execute("SELECT other_fact_id FROM confusions").fetchall() == [("exam/telnet",)]


def test_an_override_is_saved_and_an_undo_forgets_the_answer(isolated_home: Path) -> None:
    db = exam_db(isolated_home)
    fake = FakePrompter(["20 21", "22", "22"], [Rating.EASY, session.UNDO, -1])
    summary = run(db, fake, 2)
    assert fake.notices == ["Undone: that answer is forgotten; the card comes again."]
    assert fake.asked[1:3] == ["Which port does SSH use?", "Which port does SSH use?"]  # asked again at once
    ratings = db.execute("SELECT card_id, rating FROM log ORDER BY id").fetchall()
    assert ratings == [("exam/ftp/service-port", Rating.EASY), ("exam/ssh/service-port", Rating.GOOD)]
    ftp = store.card_by_id(db, "exam/ftp/service-port")
    assert ftp is not None and ftp.state.due is not None and ftp.state.due - T0 > timedelta(days=1)  # Easy graduates
    assert summary.answered == 2


def test_a_failed_card_comes_back_when_its_step_is_due_not_after_every_new_card(isolated_home: Path) -> None:
    db = exam_db(isolated_home)
    clock = [T0]

    class Slow(FakePrompter):
        def ask(self, card: CardSpec, number: int, total: int) -> str | None:
            clock[0] += timedelta(seconds=30)  # each answer takes half a minute
            return super().ask(card, number, total)

    fake = Slow(["x", "22", "22", "20 21", "23"])  # FTP wrong; SSH, SFTP right; FTP again; Telnet
    session.run(db, fake, store.new_cards(db, 10), lambda: clock[0], iter(range(100)).__next__,
                Params(enable_fuzzing=False))
    # FTP is due again a minute after it was missed: asked then, not after the other nine new cards
    assert fake.asked[:5] == ["Which ports does FTP use?", "Which port does SSH use?", "Which port does SFTP use?",
                              "Which ports does FTP use?", "Which port does Telnet use?"], fake.asked[:5]


def test_u_typed_as_the_next_answer_takes_back_the_last_one(isolated_home: Path) -> None:
    """Anki's habit: the last answer was a slip of the finger; `u` at the next question undoes it."""
    db = exam_db(isolated_home)
    fake = FakePrompter(["u", "99", "u", "20 21", "22"])  # `u` before any answer; FTP wrong, taken back, answered
    summary = run(db, fake, 2)
    assert fake.notices == ["Nothing to undo yet in this session: type the answer.",
                            "Undone: your last answer is forgotten; that card comes again."]
    ftp, ssh = "Which ports does FTP use?", "Which port does SSH use?"
    assert fake.asked[:5] == [ftp, ftp, ssh, ftp, ssh]
    assert db.execute("SELECT answer, rating FROM log ORDER BY id").fetchall() == [("20 21", Rating.GOOD),
                                                                                  ("22", Rating.GOOD)]
    assert (summary.answered, summary.correct, summary.misses) == (2, 2, [])


def test_a_card_being_learned_is_never_suggested_easy_however_fast(isolated_home: Path) -> None:
    """A card missed a minute ago and answered in a second was suggested Easy, graduating it for days."""
    db = exam_db(isolated_home)
    clock = [T0]

    class Fast(FakePrompter):
        timed = True

        def ask(self, card: CardSpec, number: int, total: int) -> str | None:
            clock[0] += timedelta(minutes=2)  # the missed card's 1-minute step is due again
            return super().ask(card, number, total)

    fake = Fast(["99", "20 21", "20 21"])
    seconds = iter([0.0, 1.0] * 10)  # every answer takes one second
    session.run(db, fake, store.new_cards(db, 1), lambda: clock[0], seconds.__next__, Params(enable_fuzzing=False))
    ratings = [r for (r,) in db.execute("SELECT rating FROM log ORDER BY id")]
    assert ratings[0] == Rating.AGAIN and Rating.EASY not in ratings[1:] and ratings[1] == Rating.GOOD

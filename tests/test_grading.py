from __future__ import annotations

import pytest

from trainer.cards import CardSpec
from trainer.grading import (
    check,
    grade,
    normalise,
    parse_port_answer,
    suggest_rating,
    within_one_edit,
)
from trainer.scheduler import Rating

IMAP_NAME = CardSpec("exam/imap/port-service", "port-service", "Which service uses port 143/tcp?", "IMAP",
                     answers=("IMAP", "IMAP4", "Internet Message Access Protocol", "imap"))
FTP_PORTS = CardSpec("exam/ftp/service-port", "service-port", "Which ports does FTP use?", "20, 21",
                     port_sets=(frozenset({20, 21}),))
KERBEROS = CardSpec("exam/kerberos/port-service", "port-service", "?", "Kerberos", answers=("Kerberos", "krb5"))


@pytest.mark.parametrize("typed", ["IMAP", "imap", "  Imap ", "imap4", "internet message access protocol",
                                   "Internet  Message Access Protocol"])
def test_names_accept_case_spacing_and_aliases(typed: str) -> None:
    assert check(IMAP_NAME, typed) == (True, False)


@pytest.mark.parametrize("typed", ["pop3", "", "imaps", "143"])
def test_other_names_are_wrong(typed: str) -> None:
    assert check(IMAP_NAME, typed)[0] is False


@pytest.mark.parametrize("typed", ["20,21", "21, 20", "20/21", "20 and 21", "20 21", "21 and 20/tcp"])
def test_multi_port_needs_every_port_in_any_order(typed: str) -> None:
    assert check(FTP_PORTS, typed) == (True, False)


@pytest.mark.parametrize("typed", ["21", "20", "20, 21, 22", "twenty", "20,21x", ""])
def test_partial_or_extra_ports_are_wrong(typed: str) -> None:
    assert check(FTP_PORTS, typed)[0] is False


def test_port_ranges_expand() -> None:
    assert parse_port_answer("137-139") == {137, 138, 139}
    assert parse_port_answer("139-137") is None


def test_one_letter_typo_in_a_long_name_is_right_but_hard() -> None:
    assert check(KERBEROS, "kerbros") == (True, True)
    assert check(KERBEROS, "kreberos") == (True, True)  # swapped letters
    assert grade(KERBEROS, "kerbros", 2.0).rating == Rating.HARD
    assert check(KERBEROS, "kerbxxos")[0] is False


def test_no_typo_allowance_under_five_letters() -> None:
    assert check(IMAP_NAME, "imao")[0] is False  # IMAP has 4 letters; imap4 is 5 but 'imao' is 2 edits


def test_rating_suggestion() -> None:
    assert suggest_rating(False, False, 1.0) == Rating.AGAIN
    assert suggest_rating(True, False, 1.0) == Rating.EASY
    assert suggest_rating(True, False, 10.0) == Rating.GOOD
    assert suggest_rating(True, False, 60.0) == Rating.HARD
    assert suggest_rating(True, True, 1.0) == Rating.HARD


def test_normalise_ignores_punctuation_learners_vary() -> None:
    assert normalise("MS-SQL-S") == normalise("ms sql s") == normalise("ms_sql_s")
    assert within_one_edit("abcde", "abcde")


@pytest.mark.parametrize("a,b", [("imap4", "imaps"), ("pop3s", "pop2s"), ("smtp25", "smtp2")])
def test_a_digit_changed_is_never_a_typo(a: str, b: str) -> None:
    assert not within_one_edit(a, b)


def test_another_services_name_is_never_a_typo() -> None:
    https = CardSpec("d/https/port-service", "port-service", "?", "HTTPS", answers=("HTTPS", "HTTP over TLS"))
    assert check(https, "htps") == (True, True)  # one letter short, nothing else known
    assert check(https, "http") == (False, False)  # an s for secure: the insecure twin, never a slip
    assert check(https, "htttps", known={"htttps"}) == (False, False)  # a name that means something else


def test_punctuation_and_invisible_characters_do_not_decide_an_answer() -> None:
    cia = CardSpec("d/cia/front-back", "front-back", "?", "Confidentiality, integrity, availability",
                   answers=("Confidentiality, integrity, availability",))
    assert check(cia, "confidentiality integrity availability") == (True, False)
    hidden = CardSpec("d/x/front-back", "front-back", "?", "abc\u202edef", answers=("abc\u202edef",))
    assert check(hidden, "abcdef") == (True, False)


def test_a_quick_learner_is_not_marked_slow_at_twice_a_tiny_usual_time() -> None:
    """With a usual time of 1.7 s, 3.4 s was 'slow' (Hard): a card answered right in under 4 s lapsed into
    a learning loop in the week trial. Slow starts at 10 s at the earliest."""
    assert suggest_rating(True, False, 3.4, usual=1.7) == Rating.GOOD
    assert suggest_rating(True, False, 9.9, usual=1.7) == Rating.GOOD
    assert suggest_rating(True, False, 10.5, usual=1.7) == Rating.HARD
    assert suggest_rating(True, False, 25.0, usual=12.0) == Rating.HARD
    assert suggest_rating(True, False, 1.0, usual=1.7) == Rating.EASY

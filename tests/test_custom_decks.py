"""Learners' own decks: every format in, YAML/CSV/apkg out, progress kept, nothing half-done."""

from __future__ import annotations

import json
import re
import sqlite3
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import import_deck, keys, rows, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trainer.cli import cli
from trainer.deck import parse_deck
from trainer.file_import import html_to_text, read_apkg

DOCS = Path(__file__).resolve().parent.parent / "docs" / "decks.md"




def db_bytes(home: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(home.glob("trainer.db*"))}


def test_the_documented_example_is_a_valid_deck(isolated_home: Path, tmp_path: Path) -> None:
    example = re.search(r"```yaml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S).group(1)
    deck = parse_deck(example, "secplus.yaml")
    assert [f.key for f in deck.facts][:3] == ["ldaps", "ldap", "cia"] and not deck.warnings
    (tmp_path / "secplus.yaml").write_text(example, encoding="utf-8")
    assert run(["import", str(tmp_path / "secplus.yaml")]).exit_code == 0
    answers = "636\n389\nconfidentiality, integrity and availability\n"
    out = run(["review", "--deck", "secplus", "--new", "10"], input=answers).output
    assert out.count("✓") == 3, out


def test_csv_and_tsv_import_with_lists_split_on_bars(isolated_home: Path, tmp_path: Path) -> None:
    csv_file = tmp_path / "acronyms.csv"
    csv_file.write_text('front,back,accept,note,tags\nWhat is MFA?,multi-factor authentication,2FA|two factor,,auth\n'
                        '"Quoted, with comma",yes,,a note,\n', encoding="utf-8")
    tsv_file = tmp_path / "more.tsv"
    tsv_file.write_text("front\tback\nSSO\tsingle sign-on\n", encoding="utf-8")
    result = run(["import", str(csv_file), str(tsv_file)])
    assert result.exit_code == 0, result.output
    assert "acronyms: 2 added" in result.output and "more: 1 added" in result.output
    data = json.loads(run(["decks", "show", "acronyms", "--json"]).output)
    assert data["facts"][0]["accept"] == ["2FA", "two factor"] and data["facts"][1]["front"] == "Quoted, with comma"
    out = run(["review", "--deck", "acronyms"], input="two factor\nyes\n").output
    assert out.count("✓") == 2


@pytest.mark.parametrize("text,expected", [
    ("front,back\nok,fine\n,missing front\n", "bad.csv:3: facts[1]: `front` is required"),
    ("question,answer\nx,y\n", "bad.csv:1: the header row needs `front` and `back`"),
    ("service,ports\nIMAP,143\nPOP3,99999\n", "bad.csv:3: facts[1].ports: 99999 is not a port (0-65535)"),
    ("front,back\na,b\na,c\n", "bad.csv:3: facts[1]: duplicate key `a` (first at line 2)"),
    ("front,back\na,b,c\n", "bad.csv:2: 3 cells but the header has 2"),
])
def test_csv_errors_name_the_line_and_write_nothing(isolated_home: Path, tmp_path: Path, text: str,
                                                     expected: str) -> None:
    run(["import", str(tmp_path / "x.csv")])  # a missing file: error, nothing created
    assert not (isolated_home / "trainer.db").exists()
    ok = tmp_path / "ok.yaml"
    ok.write_text("facts:\n- {service: IMAP, ports: 143}\n", encoding="utf-8")
    run(["import", str(ok)])
    before = db_bytes(isolated_home)
    bad = tmp_path / "bad.csv"
    bad.write_text(text, encoding="utf-8")
    result = run(["import", str(ok), str(bad)])  # the good file is not written either
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == f"Error: {tmp_path}/{expected}" or \
        result.output.strip().splitlines()[-1].startswith(f"Error: {tmp_path}/{expected}")
    assert "Traceback" not in result.output
    assert db_bytes(isolated_home) == before


@pytest.mark.parametrize("fmt", ["yaml", "csv"])
def test_export_import_export_gives_the_same_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    monkeypatch.setenv("TRAINER_HOME", str(tmp_path / "a"))
    assert run(["review", "--new", "0"]).exit_code == 0  # imports the exam deck
    first = tmp_path / f"exam.{fmt}"
    assert run(["export", "exam", "--format", fmt, "-o", str(first)]).exit_code == 0
    monkeypatch.setenv("TRAINER_HOME", str(tmp_path / "b"))
    assert run(["import", str(first)]).exit_code == 0
    second = run(["export", "exam", "--format", fmt]).stdout_bytes
    assert second == first.read_bytes()
    assert len(second.splitlines()) > 33


def test_reimport_of_an_edited_deck_keeps_reviews_suspends_and_prunes(isolated_home: Path, tmp_path: Path) -> None:
    deck = tmp_path / "mine.yaml"
    deck.write_text("facts:\n- {key: a, front: one, back: '1'}\n- {key: b, front: two, back: '2'}\n", encoding="utf-8")
    run(["import", str(deck)])
    run(["review", "--deck", "mine"], input="1\n2\n")
    deck.write_text("facts:\n- {key: a, front: one?, back: '1'}\n- {key: c, front: three, back: '3'}\n",
                    encoding="utf-8")
    out = run(["import", str(deck)]).output
    assert "mine: 1 added, 1 updated, 0 unchanged, 1 suspended; 2 cards." in out
    con = sqlite3.connect(isolated_home / "trainer.db")
    assert con.execute("SELECT count(*) FROM reviews").fetchone()[0] == 2  # b's review is kept while suspended
    refused = run(["import", str(deck), "--prune"])
    assert refused.exit_code == 1 and "add --yes to confirm" in refused.output
    assert con.execute("SELECT count(*) FROM facts WHERE id = 'mine/b'").fetchone()[0] == 1
    assert "Pruned 1 facts." in run(["import", str(deck), "--prune", "--yes"]).output
    assert con.execute("SELECT count(*) FROM reviews").fetchone()[0] == 2  # nothing deleted: an event hides b
    assert con.execute("SELECT kind FROM events WHERE kind != 'import'").fetchall() == [("prune",)]
    assert "Nothing to prune." in run(["import", str(deck), "--prune", "--yes"]).output  # gone for good
    assert "mine/b" not in run(["cards", "--suspended"]).output
    assert list((isolated_home).glob("trainer.db.before-prune.bak"))  # a backup first


def build_apkg(path: Path) -> None:
    import genanki

    basic = genanki.Model(1607392319, "Basic", fields=[{"name": "Front"}, {"name": "Back"}],
                          templates=[{"name": "Card 1", "qfmt": "{{Front}}", "afmt": "{{Back}}"}])
    rev = genanki.BASIC_AND_REVERSED_CARD_MODEL
    cloze = genanki.CLOZE_MODEL
    d = genanki.Deck(2059400110, "Test")
    d.add_note(genanki.Note(model=basic, fields=["What is <b>AES</b>?", "a block&nbsp;cipher<br>(symmetric)"],
                            tags=["crypto"]))
    d.add_note(genanki.Note(model=rev, fields=["SSH port", "22"]))
    d.add_note(genanki.Note(model=cloze, fields=["{{c1::Kerberos}} uses port 88", ""]))
    media = path.parent / "pic.png"
    media.write_bytes(b"\x89PNG")
    pkg = genanki.Package(d)
    pkg.media_files = [str(media)]
    pkg.write_to_file(str(path))


def test_an_anki_package_imports_basic_and_reversed_notes(isolated_home: Path, tmp_path: Path) -> None:
    apkg = tmp_path / "anki-deck.apkg"
    build_apkg(apkg)
    result = run(["import", str(apkg)])
    assert result.exit_code == 0, result.output
    assert "warning: 1 media file ignored" in result.output
    assert "warning: 1 note of other types (cloze, image occlusion, ...) skipped" in result.output
    assert "test: 2 added, 0 updated, 0 unchanged, 0 suspended; 3 cards." in result.output  # the package's deck
    facts = json.loads(run(["decks", "show", "test", "--json"]).output)["facts"]
    assert [(f["front"], f["back"], f.get("tags")) for f in facts] == [
        ("What is AES?", "a block cipher (symmetric)", ["crypto"]), ("SSH port", "22", None)]
    assert [f.get("kinds") for f in facts] == [["front-back"], None]  # the reversed note is asked both ways
    out = run(["review", "--deck", "test"], input="a block cipher\n22\n").output
    assert out.count("✓") == 2, out  # a back's first line (before <br>) is an answer on its own


def test_a_list_answer_is_right_in_any_order_with_and_or_commas(isolated_home: Path, tmp_path: Path) -> None:
    import_deck(tmp_path, "cia", "facts:\n- front: What does the CIA triad stand for?\n"
                                 "  back: Confidentiality, integrity, availability\n")
    out = run(["review", "--deck", "cia"], input="integrity, availability and confidentiality\n").output
    assert "✓ Right" in out


def test_an_exported_apkg_is_a_valid_anki_package(isolated_home: Path, tmp_path: Path) -> None:
    run(["review", "--new", "0"])
    out = tmp_path / "exam.apkg"
    result = run(["export", "exam", "--format", "apkg", "-o", str(out)])
    assert result.exit_code == 0 and "Wrote" in result.output
    with zipfile.ZipFile(out) as z:
        assert "collection.anki2" in z.namelist()
        (tmp_path / "col.db").write_bytes(z.read("collection.anki2"))
    con = sqlite3.connect(tmp_path / "col.db")
    asked = len(json.loads(run(["cards", "--deck", "exam", "--json"]).output))  # one note per card asked
    assert con.execute("SELECT count(*) FROM notes").fetchone()[0] == asked
    assert con.execute("SELECT count(*) FROM cards").fetchone()[0] == asked
    deck = read_apkg(out, "again")
    assert len(deck.facts) == asked and any(f.front == "Which port does IMAP use?" for f in deck.facts)


def test_html_from_anki_becomes_plain_text() -> None:
    assert html_to_text("<div>A&amp;B</div><div>C [sound:x.mp3]</div>") == "A&B C"


def test_prose_answers_are_self_graded(isolated_home: Path, tmp_path: Path) -> None:
    deck = tmp_path / "prose.yaml"
    deck.write_text("facts:\n- front: What does a WAF do?\n  back: It filters HTTP traffic to a web application\n",
                    encoding="utf-8")
    run(["import", str(deck)])
    out = run(["review", "--deck", "prose"], input="blocks attacks\n2\n").output
    assert "= It filters HTTP traffic to a web application" in out
    con = sqlite3.connect(isolated_home / "trainer.db")
    assert con.execute("SELECT answer, rating, correct FROM reviews").fetchall() == [("blocks attacks", 2, 1)]


def test_decks_show_and_remove(isolated_home: Path) -> None:
    run(["review", "--new", "1"], input="20 21\n")
    shown = run(["decks", "show", "exam"]).output
    assert shown.startswith("exam: Ports for Network+") and "  ftp: FTP 20, 21/tcp" in shown
    refused = run(["decks", "remove", "exam"])
    assert refused.exit_code == 1 and "add --yes" in refused.output
    removed = run(["decks", "remove", "exam", "--yes"]).output
    assert "Removed deck 'exam'; its 1 reviews stay in the log (importing it again brings it back)." in removed
    assert "No decks yet" in run(["decks"]).output
    con = sqlite3.connect(isolated_home / "trainer.db")
    assert con.execute("SELECT count(*) FROM reviews").fetchone()[0] == 1  # nothing deleted
    assert con.execute("SELECT kind, deck FROM events WHERE kind != 'import'").fetchall() == [("remove_deck", "exam")]
    assert list(isolated_home.glob("trainer.db.before-decks-remove.bak"))
    back = run(["review", "--deck", "exam", "--new", "0"]).output  # the bundled deck comes back, history too
    assert "Imported the bundled deck 'exam'" in back
    assert con.execute("SELECT reps FROM cards WHERE id = 'exam/ftp/service-port'").fetchone()[0] == 1


def test_oversized_files_are_refused(isolated_home: Path, tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    with big.open("wb") as f:
        f.truncate(21 * 1024 * 1024)
    result = run(["import", str(big)])
    assert result.exit_code == 2 and "imports are limited to 20 MB" in result.output


def test_csv_export_survives_carriage_returns_in_text(isolated_home: Path, tmp_path: Path) -> None:
    deck = tmp_path / "cr.yaml"
    deck.write_text('facts:\n- {key: a, front: "one\\rtwo", back: b, note: "x\\ry"}\n- {key: b, front: c, back: d}\n',
                    encoding="utf-8")
    run(["import", str(deck)])
    first = tmp_path / "cr.csv"
    assert run(["export", "cr", "--format", "csv", "-o", str(first)]).exit_code == 0
    result = CliRunner().invoke(cli, ["import", str(first), "--deck", "cr2"])
    assert result.exit_code == 0, result.output
    again = run(["export", "cr2", "--format", "csv"]).stdout_bytes
    assert again.replace(b"\r\n", b"\n").split(b"\n")[1:] == first.read_bytes().replace(b"\r\n", b"\n").replace(
        b",cr,cr,", b",cr2,cr,").split(b"\n")[1:]  # only the deck's name differs: --deck named it


def test_facts_gone_from_the_file_are_listed_and_explained(isolated_home: Path, tmp_path: Path) -> None:
    deck = tmp_path / "mine.yaml"
    deck.write_text("facts:\n- {key: a, front: one, back: '1'}\n- {key: b, front: two, back: '2'}\n", encoding="utf-8")
    run(["import", str(deck)])
    deck.write_text("facts:\n- {key: a, front: one, back: '1'}\n", encoding="utf-8")
    run(["import", str(deck)])
    listed = json.loads(run(["cards", "--suspended", "--json"]).output)
    assert [(c["id"], c["state"]) for c in listed] == [("mine/b/front-back", "not in file")]
    result = run(["unsuspend", "mine/b/front-back"])
    assert result.exit_code == 1 and "left its deck's file" in result.output


def test_an_apkg_of_a_port_deck_grades_the_same_after_a_round_trip(isolated_home: Path, tmp_path: Path) -> None:
    run(["review", "--new", "0"])
    out = tmp_path / "exam.apkg"
    run(["export", "exam", "--format", "apkg", "-o", str(out)])
    deck = read_apkg(out, "again")
    ssh = next(f for f in deck.facts if f.front == "Which port does SSH use?")
    assert ssh.back == "22"


def test_exports_land_whole_beside_their_target_and_leave_no_temporary_file(isolated_home: Path,
                                                                           tmp_path: Path) -> None:
    run(["review", "--new", "0"])
    out = tmp_path / "out"
    out.mkdir()
    link = out / "exam.apkg"
    elsewhere = out / "elsewhere.txt"
    elsewhere.write_text("keep me", encoding="utf-8")
    link.symlink_to(elsewhere)  # a symlink planted at the target is replaced, never followed
    assert run(["export", "exam", "--format", "apkg", "-o", str(link)]).exit_code == 0
    assert not link.is_symlink() and zipfile.is_zipfile(link) and elsewhere.read_text(encoding="utf-8") == "keep me"
    assert run(["export", "exam", "-o", str(out / "exam.yaml")]).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["elsewhere.txt", "exam.apkg", "exam.yaml"]
    bad = run(["export", "exam", "-o", str(tmp_path / "missing-dir" / "x.yaml")])
    assert bad.exit_code == 1 and bad.output.startswith(f"Error: {tmp_path / 'missing-dir' / 'x.yaml'}: cannot write")


def test_an_apkg_export_leaves_nothing_in_the_temp_dir_and_a_full_disk_is_one_line(
        isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import tempfile

    import trainer.file_export as fe

    run(["review", "--new", "2"], input="20 21\n22\n")  # studied cards: the package carries their schedule
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    target = tmp_path / "exam.apkg"
    assert run(["export", "exam", "--format", "apkg", "-o", str(target)]).exit_code == 0
    assert list(scratch.iterdir()) == []  # genanki's write_to_file left a copy of the collection here each time
    before = target.read_bytes()

    def full(*_: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fe, "_write_package", full)
    result = run(["export", "exam", "--format", "apkg", "-o", str(target)])
    assert result.exit_code == 1 and result.output.strip() == f"Error: {target}: cannot write (No space left on device)"
    assert target.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["exam.apkg", "home", "tmp"]


def test_on_my_own_deck_i_can_accept_an_answer_from_now_on(isolated_home: Path, tmp_path: Path) -> None:

    deck = import_deck(tmp_path, "mine", "facts:\n- key: cia\n  front: What does CIA stand for?\n"
                                         "  back: Confidentiality, integrity, availability\n")
    with keys("the CIA triad\r" "a\r" "\x03"):  # marked wrong; `a` and Enter accept it
        result = run(["review", "--interactive", "--deck", "mine"])
    assert "Accepted: 'the CIA triad' is right for this card from now on." in result.output
    assert rows(isolated_home, "SELECT correct, rating FROM log") == [{"correct": 1, "rating": 3}]
    assert "Session: 1 answered, 1 right (100%)." in result.output
    run(["import", str(deck)])  # re-importing the unchanged file keeps what was accepted
    later = run(["review", "--deck", "mine"], input="the CIA triad\n", when="2026-03-09T09:00:00+00:00").output
    assert "✓ Right" in later
    assert "accept: [the CIA triad]" in run(["export", "mine"]).output  # and it is exported with the deck


def test_answers_of_the_bundled_decks_cannot_be_accepted_in_study(isolated_home: Path) -> None:

    with keys("2222\r" "a\r" "\x03"):  # `a` does nothing here: Enter keeps the suggested Again
        result = run(["review", "--interactive", "--new", "1"])
    assert "Accepted" not in result.output
    assert rows(isolated_home, "SELECT correct, rating FROM log") == [{"correct": 0, "rating": 1}]


@pytest.mark.parametrize("name", ["exam", "common", "registry"])
def test_every_bundled_deck_survives_csv_export_import_export_keeping_every_review(
        isolated_home: Path, tmp_path: Path, name: str) -> None:
    from trainer.deck import load_deck
    from trainer.file_import import read_deck
    from trainer.paths import bundled_deck

    run(["review", "--deck", name, "--new", "6"], input="1\n2\n3\n4\n5\n6\n")
    con = sqlite3.connect(isolated_home / "trainer.db")
    log = con.execute("SELECT * FROM reviews ORDER BY id").fetchall()
    cards = con.execute("SELECT id, state, due, reps, suspended FROM cards ORDER BY id").fetchall()
    assert len(log) == 6
    first = tmp_path / f"{name}.csv"
    assert run(["export", name, "--format", "csv", "-o", str(first)]).exit_code == 0
    assert read_deck(first).to_dict() == load_deck(bundled_deck(name)).to_dict()  # title, kinds, every field
    result = run(["import", str(first), "--replace"])
    assert result.exit_code == 0, result.output
    assert "set aside" not in result.output and "0 added, 0 updated" in result.output
    assert con.execute("SELECT * FROM reviews ORDER BY id").fetchall() == log
    assert con.execute("SELECT id, state, due, reps, suspended FROM cards ORDER BY id").fetchall() == cards
    assert run(["export", name, "--format", "csv"]).stdout_bytes == first.read_bytes()


_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(facts=st.lists(st.tuples(_text.filter(str.strip), _text.filter(str.strip),
                                st.lists(_text.filter(str.strip), max_size=3), _text,
                                st.lists(st.sampled_from(["front-back", "back-front"]), max_size=2, unique=True)),
                      min_size=1, max_size=6),
       title=_text.filter(str.strip), description=_text, long_note=st.booleans())
def test_any_deck_survives_csv_export_and_import(tmp_path: Path,
                                                 facts: list[tuple[str, str, list[str], str, list[str]]],
                                                 title: str, description: str, long_note: bool) -> None:
    """`|` and backslashes inside list items, line breaks, notes over 128 KB, a title and kinds: all come back."""
    from trainer.deck import deck_from_records
    from trainer.file_export import to_csv
    from trainer.file_import import read_table

    records = []
    for i, (front, back, accept, note, kinds) in enumerate(facts):
        fact: dict[str, object] = {"key": f"k{i}", "front": front.strip(), "back": back.strip(),
                                   "accept": list(dict.fromkeys(a.strip() for a in accept)), "note": note.strip()}
        if long_note and i == 0:
            fact["note"] = "x" * 200_000
        if kinds:
            fact["kinds"] = kinds
        records.append(({k: v for k, v in fact.items() if v}, i + 2))
    deck = deck_from_records(records, "gen.yaml", "gen", title=title.strip(), description=description.strip(),
                             kinds=["front-back", "back-front"])
    path = tmp_path / "gen.csv"
    path.write_text(to_csv(deck), encoding="utf-8", newline="")
    assert read_table(path, "gen", ",").to_dict() == deck.to_dict()


def test_listings_of_the_bundled_exam_deck_say_how_to_start_it_and_show_protocol_numbers(isolated_home: Path) -> None:
    """A new user: `cards --deck exam` before any review said only "No cards match."; `decks show exam` printed the
    IP protocol numbers as "ip-icmp: None = None"."""
    before = CliRunner().invoke(cli, ["cards", "--deck", "exam"])
    assert before.exit_code == 0 and "`trainer review --deck exam` starts it" in before.output
    CliRunner().invoke(cli, ["review", "--new", "1", "--plain"], input="22\n")
    shown = CliRunner().invoke(cli, ["decks", "show", "exam"]).output
    assert "ip-icmp: ICMP = ip-protocol 1" in shown and "None" not in shown

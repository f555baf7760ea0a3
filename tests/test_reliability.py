"""Nothing lost, nothing let in: kills, two writers, versions, hostile decks, fuzzing, failing well."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import env_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trainer.cards import CardSpec
from trainer.cli import cli
from trainer.deck import parse_deck
from trainer.errors import TrainerError
from trainer.file_import import read_table
from trainer.grading import check, normalise, parse_port_answer
from trainer.registry_files import parse_iana_csv, parse_nmap_services, parse_services

FIXTURES = Path(__file__).parent / "fixtures"




def integrity(db: Path) -> str:
    return sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0]


# Crash safety --------------------------------------------------------------------------------------

@pytest.mark.slow
def test_killing_a_session_at_random_loses_no_answer_whose_verdict_was_shown(isolated_home: Path,
                                                                              tmp_path: Path) -> None:
    rng = random.Random(20261129)
    subprocess.run([sys.executable, "-m", "trainer", "review", "--new", "0"], env=env_for(isolated_home),
                   stdin=subprocess.DEVNULL, capture_output=True, cwd=tmp_path, check=True)
    db = isolated_home / "trainer.db"
    for run in range(24):
        before = sqlite3.connect(db).execute("SELECT count(*) FROM reviews").fetchone()[0]
        proc = subprocess.Popen([sys.executable, "-m", "trainer", "review", "--extra", "30"],
                                env=env_for(isolated_home),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=tmp_path)
        verdicts = 0
        target = rng.randint(0, 6)
        assert proc.stdin and proc.stdout
        while True:
            line = proc.stdout.readline()
            if not line:
                break
            if line[:1] in "✓✗":
                verdicts += 1
            if line.startswith("("):
                if verdicts >= target:
                    proc.stdin.write(rng.choice(["22\n", "x\n", "20 21\n"]))
                    proc.stdin.flush()
                    time.sleep(rng.uniform(0, 0.02))  # die before, during or after the commit
                    break
                proc.stdin.write(rng.choice(["22\n", "x\n", "20 21\n"]))
                proc.stdin.flush()
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        saved = sqlite3.connect(db).execute("SELECT count(*) FROM reviews").fetchone()[0] - before
        assert verdicts <= saved <= verdicts + 1, (run, verdicts, saved)
        assert integrity(db) == "ok"


# Two at once ----------------------------------------------------------------------------------------

def test_two_sessions_and_an_import_at_once_all_finish(isolated_home: Path, tmp_path: Path) -> None:
    from trainer.paths import bundled_deck

    subprocess.run([sys.executable, "-m", "trainer", "review", "--new", "0"], env=env_for(isolated_home),
                   stdin=subprocess.DEVNULL, capture_output=True, cwd=tmp_path, check=True)
    answers = "".join(rng_answer + "\n" for rng_answer in ["x", "22", "20 21"] * 20)
    procs = [subprocess.Popen([sys.executable, "-m", "trainer", "review", "--new", "30"], env=env_for(isolated_home),
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              cwd=tmp_path)
             for _ in range(2)]
    procs.append(subprocess.Popen([sys.executable, "-m", "trainer", "import", str(bundled_deck("registry"))],
                                  env=env_for(isolated_home), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, cwd=tmp_path))
    outs = [p.communicate(answers if i < 2 else None, timeout=120) for i, p in enumerate(procs)]
    for p, (out, err) in zip(procs, outs, strict=False):
        assert p.returncode == 0 and err == "", err
        assert "locked" not in out
    shown = sum(out.count("✓") + out.count("✗") for out, _ in outs[:2])
    con = sqlite3.connect(isolated_home / "trainer.db")
    assert con.execute("SELECT count(*) FROM reviews").fetchone()[0] == shown > 40
    assert con.execute("SELECT count(*) FROM facts WHERE deck = 'registry'").fetchone()[0] > 5000


def test_a_review_started_during_a_long_import_waits_with_a_message_and_saves_its_answers(
        isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An import may hold the write lock longer than SQLite's busy timeout (34 s for a large one was seen): the
    session waits, says so once, and every answer is saved."""
    import threading

    import trainer.db as tdb

    CliRunner().invoke(cli, ["review", "--new", "0"])
    monkeypatch.setattr(tdb, "BUSY_MS", 200)  # one attempt at the lock waits 0.2 s here, 10 s for a learner
    holder = sqlite3.connect(isolated_home / "trainer.db", isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # the long import: holds the write lock for 1.5 s, ~7 attempts
    release = threading.Timer(1.5, lambda: holder.execute("COMMIT"))
    release.start()
    try:
        result = CliRunner().invoke(cli, ["review", "--new", "2"], input="20 21\n22\n")
    finally:
        release.join()
        holder.close()
    assert result.exit_code == 0, result.output
    assert result.output.count("Waiting for another trainer command (an import?) to finish writing...") == 1
    assert "locked" not in result.output
    con = sqlite3.connect(isolated_home / "trainer.db")
    assert con.execute("SELECT answer FROM reviews ORDER BY id").fetchall() == [("20 21",), ("22",)]


def test_a_write_that_waits_too_long_gives_up_in_one_line(isolated_home: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import trainer.db as tdb

    CliRunner().invoke(cli, ["review", "--new", "0"])
    monkeypatch.setattr(tdb, "BUSY_MS", 100)
    monkeypatch.setattr(tdb, "WAIT_LIMIT_S", 0.5)
    holder = sqlite3.connect(isolated_home / "trainer.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = CliRunner().invoke(cli, ["review", "--new", "1"], input="20 21\n")
    finally:
        holder.execute("COMMIT")
        holder.close()
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        f"Error: {isolated_home / 'trainer.db'}: another trainer command kept it locked for 0.5 s; "
        "try again when it has finished")


# Versions --------------------------------------------------------------------------------------------

def test_a_database_from_a_newer_trainer_is_refused_untouched(isolated_home: Path) -> None:
    CliRunner().invoke(cli, ["review", "--new", "0"], input="")
    db = isolated_home / "trainer.db"
    con = sqlite3.connect(db)
    con.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                "VALUES ('trainer', 'm999_future', 'x')")
    con.commit()
    con.close()
    before = db.read_bytes()
    result = CliRunner().invoke(cli, ["review"], input="")
    assert result.exit_code == 1
    assert result.output.strip() == (f"Error: {db}: written by a newer version of trainer (migration m999_future); "
                                     "upgrade trainer to use it")
    assert db.read_bytes() == before


def test_a_first_schema_database_migrates_keeping_every_review_and_a_backup(isolated_home: Path) -> None:
    isolated_home.mkdir(parents=True)
    db = isolated_home / "trainer.db"
    con = sqlite3.connect(db)
    con.executescript((FIXTURES / "schema-v1.sql").read_text(encoding="utf-8"))
    con.close()
    before = db.read_bytes()
    result = CliRunner().invoke(cli, ["stats", "--json"])
    assert result.exit_code == 0, result.output
    import json

    assert json.loads(result.output)["reviews"] == 3  # read through a migration in memory...
    assert db.read_bytes() == before and sorted(p.name for p in isolated_home.iterdir()) == ["trainer.db"]  # only
    assert CliRunner().invoke(cli, ["settings", "fuzz", "on"]).exit_code == 0  # the first write migrates on disk
    backup = isolated_home / "trainer.db.before-m002_confusions_and_leeches.bak"
    old = sqlite3.connect(backup)
    assert old.execute("SELECT count(*) FROM reviews").fetchone()[0] == 3
    assert "confusions" not in {r[0] for r in old.execute("SELECT name FROM sqlite_master")}
    new = sqlite3.connect(db)
    assert "leech" in {r[1] for r in new.execute("PRAGMA table_info(cards)")}
    names = new.execute("SELECT facts FROM answer_names WHERE deck = 'mini'").fetchall()
    ports = new.execute("SELECT sets FROM answer_ports WHERE deck = 'mini'").fetchall()
    assert ports and names and all(keys for (keys,) in names)  # m014 built it from stored facts
    out = CliRunner().invoke(cli, ["review", "--deck", "mini", "--ahead", "5"], input="143\n").output
    assert "Which" in out


# Untrusted deck text ---------------------------------------------------------------------------------

HOSTILE = "[bold red]X[/] [link=http://evil]y[/link] \x1b[31mred\x1b[0m \x1b]8;;http://e\x07link\r\a\u202eevil"


def test_deck_text_is_shown_literally_or_stripped_never_interpreted(isolated_home: Path, tmp_path: Path) -> None:
    deck = tmp_path / "evil.yaml"
    import yaml

    deck.write_text(yaml.safe_dump({"name": "evil", "title": HOSTILE, "facts": [
        {"key": "a", "service": HOSTILE, "ports": 143, "note": HOSTILE, "aliases": [HOSTILE]},
        {"key": "b", "front": HOSTILE, "back": "ok", "note": HOSTILE, "colour\x1b[31m": 1}]}), encoding="utf-8")
    outputs = []
    for args, inp in [(["import", str(deck)], None), (["review", "--deck", "evil", "--new", "5"], "x\nx\n"),
                      (["review", "--deck", "evil", "--choice", "--ahead", "5"], "1\n1\n"),
                      (["decks"], None), (["decks", "show", "evil"], None), (["cards", "--deck", "evil"], None),
                      (["stats"], None), (["quiz", "--deck", "evil", "--count", "2"], "x\nx\n"),
                      (["decks", "show", "evil", "--json"], None), (["cards", "--json"], None)]:
        result = CliRunner().invoke(cli, args, input=inp, env={"COLUMNS": "400"})
        assert result.exit_code == 0, (args, result.output)
        outputs.append(result.output)
    text = "".join(outputs)
    for bad in ("\x1b", "\r", "\a", "\u202e"):
        assert bad not in text, repr(bad)
    assert "[bold red]X[/]" in text and "[link=http://evil]y[/link]" in text  # markup shown as typed


def test_yaml_tags_bombs_and_huge_files_are_refused(isolated_home: Path, tmp_path: Path) -> None:
    cases = {"tag.yaml": "facts: !!python/object/apply:os.system ['touch /tmp/pwned']\n",
             "bomb.yaml": "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                          "facts: [*b, *b]\n"}
    for name, text in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        result = CliRunner().invoke(cli, ["import", str(tmp_path / name)])
        assert result.exit_code == 2 and result.output.startswith(f"Error: {tmp_path / name}:")
    assert not Path("/tmp/pwned").exists() and not (isolated_home / "trainer.db").exists()


# Fuzzing ----------------------------------------------------------------------------------------------

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
yamlish = st.text(alphabet=st.sampled_from(list("facts:-[]{}&*!|>'\" \n\tkeyportsrvi0123456789,#%@`\\")), max_size=200)


@FUZZ
@given(yamlish)
def test_fuzz_deck_loader(text: str) -> None:
    try:
        parse_deck(text, "fuzz.yaml")
    except TrainerError as e:
        assert str(e).startswith("fuzz.yaml")


@FUZZ
@given(st.text(max_size=300), st.sampled_from(["registry-iana", "services", "nmap", "csv"]))
def test_fuzz_parsers_raise_only_their_own_error(tmp_path_factory: pytest.TempPathFactory, text: str,
                                                 kind: str) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "input.csv"
    header = {"registry-iana": "Service Name,Port Number,Transport Protocol,Description\n", "csv": "front,back\n"}
    path.write_text(header.get(kind, "") + text, encoding="utf-8")
    parse = {"registry-iana": parse_iana_csv, "services": parse_services, "nmap": parse_nmap_services,
             "csv": lambda p: read_table(p, "fuzz", ",")}[kind]
    try:
        parse(path)
    except TrainerError as e:
        assert str(e).startswith(str(path))


@FUZZ
@given(st.text(max_size=80))
def test_fuzz_answer_normaliser(answer: str) -> None:
    normalise(answer)
    parse_port_answer(answer)
    spec = CardSpec("d/f/k", "service-port", "?", "143", port_sets=(frozenset({143}),))
    name = CardSpec("d/f/n", "port-service", "?", "IMAP", answers=("IMAP", "Internet Message Access Protocol"))
    assert check(spec, answer)[0] in (True, False) and check(name, answer)[0] in (True, False)


# Failing well -------------------------------------------------------------------------------------------

def test_a_data_dir_that_is_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "not-a-dir"
    home.write_text("x")
    monkeypatch.setenv("TRAINER_HOME", str(home))
    result = CliRunner().invoke(cli, ["review"], input="")
    assert result.exit_code == 1 and result.output.startswith(f"Error: {home}: cannot create the data directory")
    assert len(result.output.strip().splitlines()) == 1 and home.read_text() == "x"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can write anywhere")
def test_a_read_only_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "ro"
    home.mkdir()
    home.chmod(0o555)
    monkeypatch.setenv("TRAINER_HOME", str(home))
    result = CliRunner().invoke(cli, ["review"], input="")
    assert result.exit_code == 1 and result.output.startswith("Error: ") and len(result.output.splitlines()) == 1


def test_reading_commands_create_nothing_and_work_from_a_read_only_copy(isolated_home: Path,
                                                                       tmp_path: Path) -> None:
    import json

    assert json.loads(CliRunner().invoke(cli, ["stats", "--json"]).output)["cards"] == 0
    assert CliRunner().invoke(cli, ["decks"]).exit_code == 0 and not isolated_home.exists()
    CliRunner().invoke(cli, ["review", "--new", "1"], input="20 21\n")
    copy = tmp_path / "ro.db"
    copy.write_bytes((isolated_home / "trainer.db").read_bytes())  # closed cleanly: no WAL left behind
    copy.chmod(0o444)
    result = CliRunner().invoke(cli, ["stats", "--json", "--db", str(copy)])
    assert result.exit_code == 0 and json.loads(result.output)["reviews"] == 1
    assert CliRunner().invoke(cli, ["cards", "--db", str(copy)]).exit_code == 0


def test_a_corrupt_database_is_one_line_and_left_as_it_was(isolated_home: Path) -> None:
    isolated_home.mkdir(parents=True)
    db = isolated_home / "trainer.db"
    db.write_bytes(b"this is not a database" * 100)
    result = CliRunner().invoke(cli, ["review"], input="")
    assert result.exit_code == 1 and result.output.strip().splitlines() == [
        f"Error: {db}: not a trainer database (not an SQLite file); nothing changed"]
    assert db.read_bytes() == b"this is not a database" * 100
    damaged = b"SQLite format 3\x00" + b"\xff" * 4080  # SQLite's header, then garbage
    db.write_bytes(damaged)
    result = CliRunner().invoke(cli, ["review"], input="")
    assert result.exit_code == 1 and result.output.strip().splitlines() == [
        f"Error: {db}: cannot open the database (file is not a database)"]
    assert db.read_bytes() == damaged


def test_a_full_disk_stops_cleanly_keeping_earlier_answers(isolated_home: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    CliRunner().invoke(cli, ["review", "--new", "1"], input="20 21\n")
    import trainer.db as tdb

    real_open = tdb.open_db

    def tiny_disk(path: Path, **kw: bool):  # the database may not grow by a single page
        db = real_open(path, **kw)
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages}")
        return db

    monkeypatch.setattr(tdb, "open_db", tiny_disk)
    result = CliRunner().invoke(cli, ["import", str(Path(__file__).parent.parent / "decks" / "common.yaml")])
    assert result.exit_code == 1 and result.output.strip().splitlines() == ["Error: database: database or disk is full"]
    db = isolated_home / "trainer.db"
    assert integrity(db) == "ok"
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM reviews").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM decks").fetchone()[0] == 1


# Files that are not trainer's, or not this database's -------------------------------------------------------

def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_a_log_left_by_another_copy_is_refused_naming_both_files_and_changes_nothing(
        isolated_home: Path, tmp_path: Path) -> None:
    import json
    import shutil

    from trainer.db import open_db

    CliRunner().invoke(cli, ["review", "--new", "2"], input="20 21\n22\n")
    older = (isolated_home / "trainer.db").read_bytes()  # a backup the learner keeps (closed cleanly: no log)
    CliRunner().invoke(cli, ["review", "--new", "1"], input="22\n")  # the database moves on from the backup
    held = open_db(isolated_home / "trainer.db")  # another terminal keeps the database open...
    CliRunner().invoke(cli, ["review", "--new", "1"], input="23\n")  # ...so this answer stays in the log
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    for name in ("trainer.db", "trainer.db-wal"):  # the folder copied as it was, log and all
        shutil.copyfile(isolated_home / name, crashed / name)
    held.close()
    ok = CliRunner().invoke(cli, ["stats", "--json", "--db", str(crashed / "trainer.db")])
    assert ok.exit_code == 0 and json.loads(ok.output)["reviews"] == 4  # a log that belongs is read, as always

    restored = tmp_path / "restored"
    shutil.copytree(crashed, restored)
    (restored / "trainer.db").write_bytes(older)  # the backup put back, the newer log still beside it
    before = _files(restored)
    for args in (["review"], ["stats"], ["cards"], ["undo"]):
        result = CliRunner().invoke(cli, [*args, "--db", str(restored / "trainer.db")], input="")
        assert result.exit_code == 1, (args, result.output)
        assert result.output.strip().splitlines() == [
            f"Error: {restored / 'trainer.db-wal'} does not belong to {restored / 'trainer.db'} (left by another "
            "copy of the database?): move trainer.db-wal away, or put back the trainer.db it came with; "
            "nothing changed"], args
        assert _files(restored) == before, args
    (restored / "trainer.db-wal").unlink()  # doing as told: the backup opens, with its two answers
    back = CliRunner().invoke(cli, ["stats", "--json", "--db", str(restored / "trainer.db")])
    assert back.exit_code == 0 and json.loads(back.output)["reviews"] == 2


def test_files_that_are_not_trainers_are_refused_untouched_by_every_command(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT)")
    con.commit()
    con.close()
    text = tmp_path / "notes.txt"
    text.write_text("shopping list\n")
    before = _files(tmp_path)
    for path, says in ((other, "an SQLite database, but not trainer's (tables: photos); nothing changed"),
                       (text, "not a trainer database (not an SQLite file); nothing changed")):
        deck = str(Path(__file__).parent.parent / "decks" / "common.yaml")
        for args in (["decks"], ["stats"], ["cards"], ["review"], ["import", deck], ["settings", "fuzz", "on"],
                     ["undo"], ["optimize"]):
            result = CliRunner().invoke(cli, [*args, "--db", str(path)], input="")
            assert result.exit_code == 1, (args, result.output)
            assert result.output.strip().splitlines() == [f"Error: {path}: {says}"], args
    assert _files(tmp_path) == before  # no table added, no journal mode switched, no -wal or -shm made


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_devices_and_fifos_are_never_opened_as_a_database(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    beside = [Path(f"/dev/zero{end}") for end in ("-journal", "-wal", "-shm")]
    there = [p.exists() for p in beside]
    for path in (Path("/dev/zero"), fifo):
        for args in (["stats"], ["review"], ["undo"]):
            result = CliRunner().invoke(cli, [*args, "--db", str(path)], input="")
            assert result.exit_code == 1 and result.output.strip() == (
                f"Error: {path}: not a regular file; a trainer database is a file"), (path, args)
    assert [p.exists() for p in beside] == there  # nothing made beside the device
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_a_mistyped_db_path_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "trainer.db"
    for args, says in ((["stats"], f"{missing}: no database there"),
                       (["cards"], f"{missing}: no database there"),
                       (["undo"], f"{missing}: no database there yet (`trainer review` or `trainer import` makes one)"),
                       (["optimize"], f"{missing}: no database there yet (`trainer review` or `trainer import` makes "
                                      "one)"),
                       (["suspend", "exam/ftp/range"], f"{missing}: no database there yet (`trainer review` or "
                                                        "`trainer import` makes one)"),
                       (["review"], f"{missing.parent}: no such folder; nothing created")):
        result = CliRunner().invoke(cli, [*args, "--db", str(missing)], input="")
        assert result.exit_code == 1 and result.output.strip() == f"Error: {says}", (args, result.output)
    assert list(tmp_path.iterdir()) == []
    here = tmp_path / "new.db"  # in a folder that exists, a writing command may start a database
    assert CliRunner().invoke(cli, ["review", "--db", str(here), "--new", "1"], input="20 21\n").exit_code == 0
    assert here.exists()


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can write anywhere")
def test_a_read_only_folder_with_a_log_but_no_shm_reads_every_review(isolated_home: Path, tmp_path: Path) -> None:
    import json
    import shutil

    from trainer.db import open_db

    CliRunner().invoke(cli, ["review", "--new", "2"], input="20 21\n22\n")
    held = open_db(isolated_home / "trainer.db")
    CliRunner().invoke(cli, ["review", "--new", "3"], input="22\n23\n53\n")  # these stay in the log
    ro = tmp_path / "ro"
    ro.mkdir()
    for name in ("trainer.db", "trainer.db-wal"):
        shutil.copyfile(isolated_home / name, ro / name)
    held.close()
    ro.chmod(0o555)
    try:
        result = CliRunner().invoke(cli, ["stats", "--json", "--db", str(ro / "trainer.db")])
        assert result.exit_code == 0 and json.loads(result.output)["reviews"] == 5
    finally:
        ro.chmod(0o755)


def test_a_data_folder_with_a_hash_or_a_question_mark_in_its_name_is_read_as_it_is(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The path went into an SQLite URI unescaped: reading commands opened a new empty file `C` and said 0."""
    import json

    home = tmp_path / "C# notes?x"
    monkeypatch.setenv("TRAINER_HOME", str(home))
    CliRunner().invoke(cli, ["review", "--new", "1"], input="20 21\n")
    data = json.loads(CliRunner().invoke(cli, ["stats", "--json"]).output)
    assert data["reviews"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["C# notes?x"]


def test_empty_files_and_empty_foreign_databases_are_not_taken_over_and_a_new_one_says_so(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"")
    empty_sqlite = tmp_path / "photos.sqlite"
    sqlite3.connect(empty_sqlite).execute("PRAGMA user_version = 7").connection.commit()  # SQLite's, no tables
    before = _files(tmp_path)
    for path, says in ((notes, "an empty file, not a trainer database; nothing changed"),
                       (empty_sqlite, "an SQLite database of another program (it has no tables yet); nothing changed")):
        result = CliRunner().invoke(cli, ["settings", "new_per_day", "3", "--db", str(path)])
        assert result.exit_code == 1 and result.output.strip().startswith(f"Error: {path}: {says}"), result.output
    assert _files(tmp_path) == before
    typo = tmp_path / "tranier.db"
    result = CliRunner().invoke(cli, ["settings", "new_per_day", "3", "--db", str(typo)])
    assert result.exit_code == 0 and f"Created a new database at {typo}." in result.output


def test_reading_another_programs_wal_database_leaves_nothing_beside_it(tmp_path: Path) -> None:
    other = tmp_path / "app.db"
    con = sqlite3.connect(other)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    before = _files(tmp_path)
    for args in (["stats"], ["cards"], ["review"]):
        assert CliRunner().invoke(cli, [*args, "--db", str(other)], input="").exit_code == 1
    assert _files(tmp_path) == before  # no -shm, no -wal


def test_a_refused_command_leaves_the_database_file_as_it_was(isolated_home: Path, tmp_path: Path) -> None:
    """Opening used to stamp the log (and so the file) even when the command then refused: a name clash."""
    CliRunner().invoke(cli, ["review", "--new", "1"], input="20 21\n")
    db, log = isolated_home / "trainer.db", isolated_home / "trainer.db-wal"
    before = db.read_bytes(), log.read_bytes() if log.exists() else None  # the log is kept between sessions
    mine = tmp_path / "exam.yaml"
    mine.write_text("name: exam\nfacts:\n- {service: Mine, ports: 1}\n")
    assert CliRunner().invoke(cli, ["import", str(mine)]).exit_code == 1
    assert (db.read_bytes(), log.read_bytes() if log.exists() else None) == before


def test_after_a_clean_exit_the_database_file_alone_holds_every_answer(isolated_home: Path, tmp_path: Path) -> None:
    """The log is kept between sessions (it is overwritten, not regrown), but everything is in the database file
    when trainer exits: a backup of trainer.db alone has every answer, and the next session's log starts anew."""
    import json
    import shutil

    for answers in ("20 21\n22\n", "23\n"):
        CliRunner().invoke(cli, ["review", "--new", "2"], input=answers)
    backup = tmp_path / "backup"
    backup.mkdir()
    shutil.copyfile(isolated_home / "trainer.db", backup / "trainer.db")
    alone = CliRunner().invoke(cli, ["stats", "--json", "--db", str(backup / "trainer.db")])
    assert alone.exit_code == 0 and json.loads(alone.output)["reviews"] == 3
    CliRunner().invoke(cli, ["review", "--new", "1"], input="25\n")
    again = CliRunner().invoke(cli, ["stats", "--json"])
    assert again.exit_code == 0 and json.loads(again.output)["reviews"] == 4


def test_a_long_session_reuses_its_log_instead_of_growing_it(isolated_home: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Within a session the log restarts (stamped, while the learner reads), so answers overwrite it: the log
    stays the size of a few answers, every answer is in the database, and the next open trusts the log."""
    import json

    from trainer import db as tdb

    restart_after, sizes = 5, {}
    for every in (10**9, restart_after):
        monkeypatch.setattr(tdb, "RESTART_AFTER", every)
        home = tmp_path / str(every)
        monkeypatch.setenv("TRAINER_HOME", str(home))
        done = CliRunner().invoke(cli, ["review", "--new", "40"], input="1\n" * 60)
        assert done.exit_code == 0, done.output
        sizes[every] = (home / "trainer.db-wal").stat().st_size
        stats = CliRunner().invoke(cli, ["stats", "--json"])
        assert stats.exit_code == 0 and json.loads(stats.output)["reviews"] == 60
        assert integrity(home / "trainer.db") == "ok"
    assert sizes[restart_after] < sizes[10**9] / 3, sizes

"""Hostile and unlucky input: one line naming the file (and line), a non-zero exit, no traceback, bounded time
and memory, nothing written. Every hostile file is generated here."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import run

from trainer.cli import cli


def db_bytes(home: Path) -> bytes | None:
    path = home / "trainer.db"
    return path.read_bytes() if path.exists() else None


# YAML decks: ports are plain decimal ASCII, nothing YAML 1.1 reinterprets ---------------------------------

@pytest.mark.parametrize("ports,says", [
    ("017", "x.yaml:3: `017` is not a plain decimal number"),  # YAML 1.1: octal 15
    ("0x50", "x.yaml:3: `0x50` is not a plain decimal number"),  # hex 80
    ("1:20", "x.yaml:3: `1:20` is not a plain decimal number"),  # base 60: 80
    ("0b1010000", "x.yaml:3: `0b1010000` is not a plain decimal number"),
    ("8_0", "x.yaml:3: `8_0` is not a plain decimal number"),
    ("'𝟠𝟘'", "x.yaml:3: facts[0].ports: '𝟠𝟘' is not a port"),  # mathematical digits: int() would say 80
    ("'٨٠'", "x.yaml:3: facts[0].ports: '٨٠' is not a port"),
    ("true", "x.yaml:3: facts[0].ports: True is not a port"),
    ("9" * 4301, "x.yaml:3: `99999999999999999999...` is not a plain decimal number"),  # int() refuses: traceback
    ("1:" * 30000 + "1", "x.yaml:3: `1:1:1:1:1:1:1:1:1:1:...` is not a plain decimal number"),  # quadratic
])
def test_ports_yaml_would_reinterpret_are_refused_with_the_line(isolated_home: Path, tmp_path: Path, ports: str,
                                                                 says: str) -> None:
    deck = tmp_path / "x.yaml"
    deck.write_text(f"name: x\nfacts:\n- {{service: A, ports: {ports}}}\n", encoding="utf-8")
    result = run(["import", str(deck)])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"Error: {tmp_path}/{says}") and len(result.output.splitlines()) == 1
    assert db_bytes(isolated_home) is None


@pytest.mark.parametrize("text,says", [
    ("format: true\nfacts:\n- {service: A, ports: 80}\n", "x.yaml:1: format: True is not supported"),
    ('name: "evil\\n"\nfacts:\n- {service: A, ports: 80}\n', "x.yaml:1: name: 'evil\\n' must be lower-case"),
    ("name: " + "a" * 65 + "\nfacts:\n- {service: A, ports: 80}\n", "x.yaml:1: name: 'aaaa"),
])
def test_deck_fields_are_what_they_say(isolated_home: Path, tmp_path: Path, text: str, says: str) -> None:
    deck = tmp_path / "x.yaml"
    deck.write_text(text, encoding="utf-8")
    result = run(["import", str(deck)])
    assert result.exit_code == 2 and result.output.startswith(f"Error: {tmp_path}/{says}"), result.output


@pytest.mark.parametrize("suffix", ["yaml", "services"])
def test_deck_name_given_on_the_command_line_is_checked_for_every_format(isolated_home: Path, tmp_path: Path,
                                                                       suffix: str) -> None:
    deck = tmp_path / f"x.{suffix}"
    deck.write_text("facts:\n- {service: A, ports: 80}\n" if suffix == "yaml" else "http 80/tcp www\n")
    for bad in ("evil\n", "Evil", "x y", "\x1b]0;title\x07"):
        result = run(["import", str(deck), "--deck", bad])
        assert result.exit_code == 2 and "must be lower-case letters" in result.output, (bad, result.output)
        assert "\x1b" not in result.output and len(result.output.strip().splitlines()) == 1
    assert db_bytes(isolated_home) is None


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_or_a_device_is_never_read_as_a_deck(isolated_home: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "deck.yaml"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero")):
        if not path.exists():
            continue
        result = run(["import", str(path)])  # reading either would never end
        assert result.exit_code == 2 and result.output.strip() == (
            f"Error: {path}: not a regular file (a device or a pipe is never read as a deck)")


def test_a_file_of_yours_called_exam_yaml_does_not_replace_the_bundled_deck(isolated_home: Path,
                                                                           tmp_path: Path) -> None:
    run(["review", "--new", "1"], input="20 21\n")
    mine = tmp_path / "exam.yaml"
    mine.write_text("name: exam\nfacts:\n- {service: Evil, ports: 1}\n")
    result = run(["import", str(mine)])
    assert result.exit_code == 1 and result.output.strip() == (
        "Error: 'exam' is a deck that comes with trainer: --deck NAME imports exam.yaml as a new deck, --replace "
        "puts it in the bundled deck's place")
    con = sqlite3.connect(isolated_home / "trainer.db")
    from trainer.deck import load_deck
    from trainer.paths import bundled_deck

    assert con.execute("SELECT count(*) FROM facts WHERE deck = 'exam'").fetchone()[0] == len(
        load_deck(bundled_deck("exam")).facts)
    assert run(["import", str(mine), "--deck", "mine"]).exit_code == 0


def test_a_csv_with_a_million_unknown_columns_warns_once(isolated_home: Path, tmp_path: Path) -> None:
    deck = tmp_path / "wide.csv"
    header = ",".join(["front", "back"] + [f"c{i}" for i in range(1_000_000)])
    deck.write_text(header + "\nq,a\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(deck)])
    assert result.exit_code == 0, result.output[-500:]
    warnings = [ln for ln in result.output.splitlines() if "warning" in ln]
    assert warnings == [f"{deck}:1: warning: unknown columns `c0`, `c1`, `c2`, `c3`, `c4` and 999995 more ignored"]


@pytest.mark.parametrize("name,text,line", [
    ("nul.csv", "front,back\0junk\nq,a\n", 1),
    ("nul.tsv", "front\tback\nq\ta\0\n", 2),
    ("nul.yaml", "name: x\nfacts:\n- front: a\0\n  back: b\n", 3),
    ("services", "ssh 22/tcp\nevil\0 1/tcp\n", 2),
])
def test_a_nul_byte_is_named_with_its_line_and_nothing_is_imported(isolated_home: Path, tmp_path: Path,
                                                                    name: str, text: str, line: int) -> None:
    deck = tmp_path / name
    deck.write_bytes(text.encode())
    result = run(["import", str(deck)])
    says = f"Error: {deck}:{line}: a NUL byte: this is not a text file"
    assert result.exit_code != 0 and result.output.strip() == says
    assert db_bytes(isolated_home) is None


# Numbers and dates at the edge --------------------------------------------------------------------------

@pytest.mark.parametrize("args,when,says", [
    (["plan", "--exam", "9999-12-31"], None,
     "Error: --exam 9999-12-31 is more than 10 years away: plan looks up to 10 years ahead"),  # ran for hours
    (["stats"], "0001-01-01T00:00:00+00:00", "Error: TRAINER_NOW: '0001-01-01T00:00:00+00:00' is outside 1970-2999"),
    (["review"], "9999-12-31T23:00:00+00:00", "Error: TRAINER_NOW: '9999-12-31T23:00:00+00:00' is outside 1970-2999"),
    (["settings", "reviews_per_day", str(2**63)], None,
     f"Error: reviews_per_day: '{2**63}' is not a whole number from 0 to 99999"),
    # int('²') was a traceback
    (["lookup", "²"], None, "No port, protocol number, ICMP type, service or description matches '²'."),
    (["lookup", "٤٤٣"], None, "No port, protocol number, ICMP type, service or description matches '٤٤٣'."),
])
def test_numbers_and_dates_at_the_edge_get_one_line(isolated_home: Path, args: list[str], when: str | None,
                                                    says: str) -> None:
    env = {"TRAINER_NOW": when or "2026-03-02T09:00:00+00:00"}
    result = CliRunner().invoke(cli, args, env=env, input="")
    assert result.exit_code == 1 and result.output.strip() == says, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_superscript_digit_typed_at_a_multiple_choice_prompt_is_an_answer_not_a_crash(isolated_home: Path) -> None:
    result = run(["review", "--choice", "--new", "1"], input="²\n")
    assert result.exit_code == 0 and "✗" in result.output and "Traceback" not in result.output


def test_multiple_choice_on_a_port_with_4000_names_takes_linear_time(isolated_home: Path, tmp_path: Path) -> None:
    """Each option used to be checked against every accepted name, rebuilt for every option: 220 s here."""
    import subprocess
    import sys

    import yaml
    from conftest import env_for

    facts = [{"key": f"f{i}", "service": f"svc{i}", "ports": [7000]} for i in range(4000)]
    facts.append({"key": "x", "service": "Other", "ports": [7001]})
    deck = tmp_path / "many.yaml"
    deck.write_text(yaml.safe_dump({"name": "many", "kinds": ["port-service"], "facts": facts}))
    assert run(["import", str(deck)]).exit_code == 0
    proc = subprocess.run([sys.executable, "-m", "trainer", "review", "--deck", "many", "--choice", "--new", "1"],
                          input="2\n", capture_output=True, text=True, env=env_for(isolated_home),
                          timeout=60)  # only to catch the hang: it takes well under a second
    assert proc.returncode == 0, proc.stderr
    assert "Which service uses port 7000/tcp?" in proc.stdout and "1) " in proc.stdout


# Anki packages: bounded, read-only, one line --------------------------------------------------------------

def _package(tmp_path: Path, name: str = "base.apkg") -> Path:
    import genanki

    basic = genanki.Model(1607392319, "Basic", fields=[{"name": "Front"}, {"name": "Back"}],
                          templates=[{"name": "Card 1", "qfmt": "{{Front}}", "afmt": "{{Back}}"}])
    deck = genanki.Deck(2059400110, "Hostile")
    deck.add_note(genanki.Note(model=basic, fields=["SSH port", "22"]))
    deck.add_note(genanki.Note(model=basic, fields=["HTTPS port", "443"]))
    path = tmp_path / name
    genanki.Package(deck).write_to_file(str(path))
    return path


def _rewrite(src: Path, dest: Path, members: dict[str, bytes], method: int = 8) -> Path:
    import zipfile

    with zipfile.ZipFile(src) as z:
        kept = {n: z.read(n) for n in z.namelist()}
    kept.update(members)
    with zipfile.ZipFile(dest, "w", compression=method) as z:
        for n, data in kept.items():
            z.writestr(n, data)
    return dest


def _collection(src: Path, tmp_path: Path, sql: str) -> bytes:
    """The package's collection after `sql` (run on a copy)."""
    import zipfile

    db = tmp_path / "col.sqlite"
    with zipfile.ZipFile(src) as z:
        db.write_bytes(z.read("collection.anki2"))
    con = sqlite3.connect(db)
    con.executescript(sql)
    con.commit()
    con.close()
    return db.read_bytes()


def _patch_zip_flags(path: Path, *, flag: int | None = None, method: int | None = None) -> Path:
    """Set the general-purpose flag bits (1: encrypted) or the compression method of every member."""
    data = bytearray(path.read_bytes())
    for sig, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        i = data.find(sig)
        while i != -1:
            if flag is not None:
                data[i + flag_at:i + flag_at + 2] = flag.to_bytes(2, "little")
            if method is not None:
                data[i + method_at:i + method_at + 2] = method.to_bytes(2, "little")
            i = data.find(sig, i + 4)
    path.write_bytes(bytes(data))
    return path


def _hostile_packages(tmp_path: Path) -> list[tuple[str, Path, str | None]]:
    """(what, package, the error's words or None when the package imports with what is sound in it)."""
    import zlib

    base = _package(tmp_path)
    bomb = zlib.compressobj(9)
    out = []
    out.append(("media is a number", _rewrite(base, tmp_path / "m1.apkg", {"media": b"5"}), None))
    out.append(("media nested 100,000 deep", _rewrite(base, tmp_path / "m2.apkg", {"media": b"[" * 100_000}), None))
    out.append(("models empty", _rewrite(base, tmp_path / "c1.apkg", {"collection.anki2": _collection(
        base, tmp_path, "UPDATE col SET models = '{}'")}), None))  # no note type: every note skipped -> no facts
    out.append(("models malformed", _rewrite(base, tmp_path / "c2.apkg", {"collection.anki2": _collection(
        base, tmp_path, "UPDATE col SET models = '{\"1\": '")}), "unreadable Anki collection"))
    out.append(("models a list", _rewrite(base, tmp_path / "c3.apkg", {"collection.anki2": _collection(
        base, tmp_path, "UPDATE col SET models = '[1, 2]'")}), "is not a JSON object"))
    out.append(("models 100,000 deep", _rewrite(base, tmp_path / "c4.apkg", {"collection.anki2": _collection(
        base, tmp_path, "UPDATE col SET models = '" + "[" * 100_000 + "'")}), "unreadable Anki collection"))
    out.append(("NULL note type names", _rewrite(base, tmp_path / "c5.apkg", {"collection.anki2": _collection(
        base, tmp_path, "CREATE TABLE notetypes (id INTEGER, name TEXT); CREATE TABLE fields (ntid INTEGER);"
                        "CREATE TABLE templates (ntid INTEGER); INSERT INTO notetypes VALUES (1607392319, NULL);"
                        "INSERT INTO fields VALUES (1607392319), (1607392319);"
                        "INSERT INTO templates VALUES (1607392319);")}), None))
    out.append(("ids of 1e999", _rewrite(base, tmp_path / "c6.apkg", {"collection.anki2": _collection(
        base, tmp_path, "UPDATE notes SET mid = 1e999")}), "unreadable Anki collection"))
    out.append(("notes a recursive view", _rewrite(base, tmp_path / "c7.apkg", {"collection.anki2": _collection(
        base, tmp_path, "DROP TABLE notes; CREATE VIEW notes AS WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL "
                        "SELECT x + 1 FROM r) SELECT x AS id, '' AS guid, 1 AS mid, '' AS flds, '' AS tags FROM r")}),
                "is a view"))
    out.append(("a 10 MB field", _rewrite(base, tmp_path / "c8.apkg", {"collection.anki2": _collection(
        base, tmp_path, "UPDATE notes SET flds = 'q' || char(31) || printf('%.*c', 10000000, 'x') "
                        "WHERE id = (SELECT min(id) FROM notes)")}), "unreadable Anki collection"))
    zeros = bomb.compress(b"\0" * (300 * 2**20)) + bomb.flush()  # 300 MB of zeros in 0.3 MB
    out.append(("a zip bomb that says it is empty", _zip_with(tmp_path / "bomb1.apkg", zeros, 0),
                "unreadable Anki collection"))  # zipfile reads no further than the size the header gives
    out.append(("a zip bomb", _zip_with(tmp_path / "bomb2.apkg", zeros, 300 * 2**20), "over 256 MB"))
    import zstandard

    out.append(("a zstd bomb", _rewrite(base, tmp_path / "z.apkg", {
        "collection.anki21b": zstandard.ZstdCompressor().compress(b"\0" * (300 * 2**20))}), "over 256 MB"))
    out.append(("zstd garbage", _rewrite(base, tmp_path / "z2.apkg", {"collection.anki21b": b"\x28\xb5\x2f\xfd" +
                                                                       b"junk" * 100}), "unreadable Anki"))
    out.append(("an encrypted member", _patch_zip_flags(_package(tmp_path, "e.apkg"), flag=1),
                "unreadable Anki package"))
    out.append(("an unknown compression", _patch_zip_flags(_package(tmp_path, "u.apkg"), method=99),
                "unreadable Anki package"))
    damaged = _package(tmp_path, "d.apkg")
    data = bytearray(damaged.read_bytes())
    start = data.find(b"collection.anki2") + len("collection.anki2")
    data[start + 200:start + 400] = b"\xff" * 200  # the deflate stream itself
    damaged.write_bytes(bytes(data))
    out.append(("corrupt deflate data", damaged, "a damaged or foreign zip file"))
    return out


def _zip_with(path: Path, deflated: bytes, claimed: int) -> Path:
    """A zip holding `collection.anki2` as the raw deflate stream `deflated`, its header claiming `claimed` bytes."""
    import struct
    import zlib

    name = b"collection.anki2"
    raw = deflated[2:-4] if deflated[:1] == b"\x78" else deflated  # zlib wrapper -> raw deflate
    crc = zlib.crc32(b"")  # wrong on purpose: the size cap must stop reading long before a CRC check
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(raw), claimed, len(name), 0) + name
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, len(raw), claimed, len(name),
                          0, 0, 0, 0, 0, 0) + name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local) + len(raw), 0)
    path.write_bytes(local + raw + central + end)
    return path


def test_hostile_anki_packages_give_one_line_and_write_nothing(isolated_home: Path, tmp_path: Path) -> None:
    import resource
    import subprocess
    import sys

    from conftest import env_for

    imported = 0
    for i, (what, package, says) in enumerate(_hostile_packages(tmp_path)):
        proc = subprocess.run([sys.executable, "-c", "import resource, sys; "  # 1 GB of memory at most
                               "resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30)); "
                               "from trainer.cli import main; sys.argv = ['trainer', 'import', *sys.argv[1:]]; main()",
                               str(package), "--deck", f"p{i}"], capture_output=True, text=True,
                              env=env_for(isolated_home), timeout=120)  # only to catch a hang
        out = proc.stdout + proc.stderr
        assert "Traceback" not in out, (what, out[-1500:])
        if says is None:
            assert proc.returncode in (0, 2), (what, out)
            imported += proc.returncode == 0
        else:
            errors = [ln for ln in out.splitlines() if ln.startswith("Error:")]
            assert proc.returncode == 2 and len(errors) == 1 and says in errors[0], (what, out[-800:])
            assert str(package) in errors[0], what
    assert resource  # imported for the child's limit
    db = isolated_home / "trainer.db"
    decks = sqlite3.connect(db).execute("SELECT count(*) FROM decks").fetchone()[0] if db.exists() else 0
    assert decks == imported  # a refused package wrote nothing


@pytest.mark.parametrize("args,says", [
    (["review", "--new", "0", "--ahead", str(2**63)], "is not in the range 1<=x<=100000"),  # overflowed SQLite
    (["quiz", "--count", str(2**63)], "is not in the range 1<=x<=100000"),
    (["plan", "--exam", "2027-01-01", "--target", "nan"], "nan is not in the range 0.5<=x<=0.99"),
])
def test_counts_and_targets_are_bounded(isolated_home: Path, args: list[str], says: str) -> None:
    result = CliRunner().invoke(cli, args, env={"TRAINER_NOW": "2026-03-02T09:00:00+00:00"}, input="")
    assert result.exit_code == 2 and says in result.output, result.output
    assert "Traceback" not in result.output


def test_the_last_day_trainer_accepts_is_the_whole_of_2999_12_31(isolated_home: Path) -> None:
    result = CliRunner().invoke(cli, ["stats"], env={"TRAINER_NOW": "2999-12-31T12:00:00+00:00"})
    assert result.exit_code == 0 and result.output.startswith("Today: 0 reviewed")

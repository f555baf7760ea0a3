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
    assert con.execute("SELECT count(*) FROM facts WHERE deck = 'exam'").fetchone()[0] == 34
    assert run(["import", str(mine), "--deck", "mine"]).exit_code == 0


def test_a_csv_with_a_million_unknown_columns_warns_once(isolated_home: Path, tmp_path: Path) -> None:
    deck = tmp_path / "wide.csv"
    header = ",".join(["front", "back"] + [f"c{i}" for i in range(1_000_000)])
    deck.write_text(header + "\nq,a\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(deck)])
    assert result.exit_code == 0, result.output[-500:]
    warnings = [ln for ln in result.output.splitlines() if "warning" in ln]
    assert warnings == [f"{deck}:1: warning: unknown columns `c0`, `c1`, `c2`, `c3`, `c4` and 999995 more ignored"]


# Numbers and dates at the edge --------------------------------------------------------------------------

@pytest.mark.parametrize("args,when,says", [
    (["plan", "--exam", "9999-12-31"], None,
     "Error: --exam 9999-12-31 is more than 10 years away: plan looks up to 10 years ahead"),  # ran for hours
    (["stats"], "0001-01-01T00:00:00+00:00", "Error: TRAINER_NOW: '0001-01-01T00:00:00+00:00' is outside 1970-2999"),
    (["review"], "9999-12-31T23:00:00+00:00", "Error: TRAINER_NOW: '9999-12-31T23:00:00+00:00' is outside 1970-2999"),
    (["settings", "reviews_per_day", str(2**63)], None,
     f"Error: reviews_per_day: '{2**63}' is not a whole number from 0 to 99999"),
    (["lookup", "²"], None, "No port, service or description matches '²'."),  # int('²') was a traceback
    (["lookup", "٤٤٣"], None, "No port, service or description matches '٤٤٣'."),
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

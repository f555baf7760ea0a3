"""The installed command in a real pseudo-terminal and through a real pipe, as a learner runs it."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import env_for

pexpect = pytest.importorskip("pexpect")




def test_review_in_a_real_terminal(isolated_home: Path, tmp_path: Path) -> None:
    child = pexpect.spawn(sys.executable, ["-m", "trainer", "review"], env=env_for(isolated_home), cwd=str(tmp_path),
                          encoding="utf-8", timeout=15, dimensions=(30, 100))
    child.expect("Imported the bundled deck 'exam'")
    child.expect(r"Which ports does FTP use\?")
    child.send("21, 20\r")
    child.expect("Right: 20, 21")
    child.expect("Enter: ")
    child.send("\r")
    child.expect(r"Which port does SSH use\?")
    child.send("2222\r")
    child.expect("Wrong: you said 2222; the answer is 22")
    child.expect("Enter: Again")
    child.send("\r")
    child.expect(r"Which port does SFTP use\?")
    child.sendcontrol("c")
    child.expect(r"Session: 2 answered, 1 right \(50%\)\.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "Traceback" not in (child.before or "")
    con = sqlite3.connect(isolated_home / "trainer.db")
    assert con.execute("SELECT answer, correct FROM reviews ORDER BY id").fetchall() == [("21, 20", 1), ("2222", 0)]


def test_review_through_a_pipe(isolated_home: Path, tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "trainer", "review"], input="20 and 21\nssh\n",
                          capture_output=True, text=True, env=env_for(isolated_home), timeout=60, cwd=tmp_path)
    assert proc.returncode == 0 and proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert [ln for ln in lines if ln.endswith("?")][:2] == ["(1/20) Which ports does FTP use?",
                                                         "(2/20) Which port does SSH use?"]
    assert [ln[0] for ln in lines if ln[:1] in "✓✗"] == ["✓", "✗"]
    assert "\x1b[" not in proc.stdout  # no colour codes in a pipe
    assert "Session: 2 answered, 1 right (50%)." in lines


def test_bad_deck_import_is_one_line_and_changes_nothing(isolated_home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("facts:\n- service: X\n  ports: 70000\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "trainer", "import", str(bad)], capture_output=True, text=True,
                          env=env_for(isolated_home), timeout=60)
    assert proc.returncode == 2
    assert proc.stderr == f"Error: {bad}:3: facts[0].ports: 70000 is not a port (0-65535)\n"
    assert not (isolated_home / "trainer.db").exists()


def test_a_closed_pipe_is_not_an_error_message(isolated_home: Path, tmp_path: Path) -> None:
    proc = subprocess.run(f"{sys.executable} -m trainer lookup http | head -1", shell=True, capture_output=True,
                          text=True, env=env_for(isolated_home), timeout=60, cwd=tmp_path)
    assert proc.stdout.count("\n") == 1 and "Error" not in proc.stderr and "Traceback" not in proc.stderr


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


def screen_lines(child: object, text: str) -> list[str]:
    return [ANSI.sub("", ln).rstrip() for ln in text.split("\n")]


@pytest.mark.parametrize("args", [["cards"], ["lookup", "kerberos"], ["decks"], ["stats"], ["settings"],
                                  ["plan", "--exam", (date.today() + timedelta(days=40)).isoformat()]])
def test_every_screen_reads_at_80_columns(isolated_home: Path, tmp_path: Path, args: list[str]) -> None:
    subprocess.run([sys.executable, "-m", "trainer", "review"], input="21\n", capture_output=True, text=True,
                   env=env_for(isolated_home), timeout=60, cwd=tmp_path)
    env = dict(env_for(isolated_home), COLUMNS="80")
    child = pexpect.spawn(sys.executable, ["-m", "trainer", *args], env=env, cwd=str(tmp_path), encoding="utf-8",
                          timeout=30, dimensions=(40, 80))
    child.expect(pexpect.EOF)
    lines = screen_lines(child, child.before or "")
    assert len(lines) > 2 and all(len(ln) <= 80 for ln in lines), [ln for ln in lines if len(ln) > 80]
    if args == ["cards"]:
        assert any("Which ports does FTP use?" in ln for ln in lines)  # the question whole, not cut


def test_a_long_verdict_wraps_between_words_and_keeps_its_bracket_whole(isolated_home: Path, tmp_path: Path) -> None:
    env = dict(env_for(isolated_home), COLUMNS="80")
    child = pexpect.spawn(sys.executable, ["-m", "trainer", "review"], env=env, cwd=str(tmp_path), encoding="utf-8",
                          timeout=20, dimensions=(40, 80))
    child.expect(r"Which ports does FTP use\?")
    child.send("I am fairly sure it is twenty one and also twenty two\r")
    child.expect("Enter: ")
    shown = screen_lines(child, child.before or "")
    assert any("[Again, next in 1m]" in ln for ln in shown), shown
    printed = [ln for ln in shown if "use?" not in ln]  # the answer being typed is the terminal's to wrap
    assert all(len(ln) <= 80 for ln in printed), [ln for ln in printed if len(ln) > 80]
    child.sendcontrol("c")
    child.expect(pexpect.EOF)


EVIL_DECK = r'''name: evil
kinds: [service-port, front-back]
facts:
- {key: a, service: "Alpha\e]0;PWNED\a", ports: 1001, note: "note\e[2J\e[6n\u202eEVIL"}
- {key: b, service: "Beta\e[31mREDX", ports: 1002}
- {key: c, front: "Question\e]0;PWNED\a?", back: "one two three four five six\e[31mREDX", note: "\u202eEVIL"}
'''
HOSTILE_BYTES = (b"\x1b]0;PWNED", b"\x1b[31mREDX", b"\x1b[2J", "\u202e".encode(), b"\x1b[6nEVIL")


def test_deck_text_never_acts_on_a_real_terminal(isolated_home: Path, tmp_path: Path) -> None:
    """Through a pseudo-terminal: the self-graded card's answer and note, a confusion drill's heading, a CSV
    export shown on the terminal. The window title, a screen clear, a cursor query, colours, a direction
    override written in a deck stay out of what the terminal receives."""
    deck = tmp_path / "evil.yaml"
    deck.write_text(EVIL_DECK, encoding="utf-8")
    env = env_for(isolated_home)
    subprocess.run([sys.executable, "-m", "trainer", "import", str(deck)], env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "trainer", "review", "--deck", "evil", "--new", "2"], env=env,
                   input="1002\n1001\n", text=True, check=True, capture_output=True)  # each answered with the other's
    seen = b""
    for args, keys in ((["review", "--deck", "evil", "--new", "1"], ["x\r", "\r"]),
                       (["review", "--confusions", "--deck", "evil"], ["1001\r", "\r", "1002\r", "\r"]),
                       (["export", "evil", "--format", "csv"], []),
                       (["cards", "--deck", "evil"], [])):
        child = pexpect.spawn(sys.executable, ["-m", "trainer", *args], env=env, cwd=str(tmp_path), timeout=30,
                              dimensions=(30, 100))
        for k in keys:
            try:
                child.expect([rb"\?", rb"Enter", rb"\)"], timeout=15)
            except (pexpect.TIMEOUT, pexpect.EOF):
                break
            child.send(k)
        if keys and child.isalive():  # a command that asks nothing ends by itself (a Ctrl-C at its start would
            child.sendcontrol("c")  # land in Python's own start-up)
        child.expect(pexpect.EOF)
        child.close()
        out = (child.before or b"")
        seen += out
        assert b"Traceback" not in out, out[-800:]
    assert b"Alpha" in seen and b"Question" in seen and b"one two three" in seen  # the text itself is shown
    for hostile in HOSTILE_BYTES:
        assert hostile not in seen, hostile

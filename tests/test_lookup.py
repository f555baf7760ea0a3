from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from trainer import lookup
from trainer.cli import cli


def run(*args: str):
    return CliRunner().invoke(cli, ["lookup", *args])


def test_port_names_rdp_and_its_iana_name_on_tcp() -> None:
    result = run("3389")
    assert result.exit_code == 0
    first = result.output.splitlines()[0]
    assert first.startswith("3389/tcp") and "ms-wbt-server" in first and "RDP" in first


def test_service_name_json_gives_the_port() -> None:
    data = json.loads(run("imaps", "--json").output)
    assert data[0]["port"] == 993 and data[0]["transport"] == "tcp" and data[0]["service"] == "imaps"
    assert {"service", "port", "transport", "description"} <= set(data[0])


@pytest.mark.parametrize("query,service", [("143/tcp", "imap"), ("RDP", "ms-wbt-server"), ("Imap", "imap"),
                                           ("kerberos", "kerberos")])
def test_queries_of_every_shape(query: str, service: str) -> None:
    data = json.loads(run(query, "--json").output)
    assert data and data[0]["service"] == service


def test_port_and_transport_filters_and_descriptions_match_words() -> None:
    assert {h["transport"] for h in json.loads(run("53/udp", "--json").output)} == {"udp"}
    words = json.loads(run("kerberos", "--json").output)
    assert any(h["service"] == "kerberos-adm" for h in words)  # found through its description


def test_no_match_says_so_and_exits_1() -> None:
    result = run("zzznothing")
    assert result.exit_code == 1 and "No port, service or description matches 'zzznothing'" in result.output


def test_the_parsed_deck_is_cached_and_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deck = tmp_path / "mini.yaml"
    deck.write_text("facts:\n- service: imap\n  ports: 143\n  description: mail\n", encoding="utf-8")
    rows = lookup.load_rows(deck, tmp_path / "cache")
    assert len(list((tmp_path / "cache").iterdir())) == 1

    def boom(path: Path) -> None:
        raise AssertionError("parsed the YAML again")

    monkeypatch.setattr(lookup, "_rows_from_deck", boom)
    assert lookup.load_rows(deck, tmp_path / "cache") == rows
    deck.write_text("facts:\n- service: pop3\n  ports: 110\n", encoding="utf-8")  # an edited deck is re-read
    with pytest.raises(AssertionError, match="parsed the YAML again"):
        lookup.load_rows(deck, tmp_path / "cache")


def test_lookup_uses_the_shipped_index_without_parsing_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(path: Path) -> None:
        raise AssertionError("parsed the YAML")

    monkeypatch.setattr(lookup, "_rows_from_deck", boom)
    assert json.loads(run("993", "--json").output)[0]["service"] == "imaps"

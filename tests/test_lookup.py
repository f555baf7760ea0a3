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
    says = "No port, protocol number, ICMP type, service or description matches 'zzznothing'"
    assert result.exit_code == 1 and says in result.output


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


# IP protocol numbers and ICMP types: numbers that are not ports, each hit labelled with its registry -----------

def test_gre_is_ip_protocol_47_before_the_ports_that_mention_it() -> None:
    data = json.loads(run("gre", "--json").output)
    assert (data[0]["registry"], data[0]["number"], data[0]["service"]) == ("ip-protocol", 47, "GRE")
    assert {h["registry"] for h in data[1:]} == {"port"} and any(h["service"] == "gre-in-udp" for h in data)
    text = run("gre").output.splitlines()
    assert text[0].startswith("IP protocol numbers") and text[1].split() == ["IP", "protocol", "47", "GRE", "Generic",
                                                                            "Routing", "Encapsulation"]


def test_a_bare_number_shows_the_port_and_the_protocol_under_their_own_headings() -> None:
    result = run("50")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    ports, protocols = lines.index(next(ln for ln in lines if ln.startswith("Ports"))), lines.index(
        next(ln for ln in lines if ln.startswith("IP protocol numbers")))
    assert "re-mail-ck" in lines[ports + 1] and "ESP" in lines[protocols + 1] and ports < protocols
    assert {h["registry"] for h in json.loads(run("50", "--json").output)} == {"port", "ip-protocol"}


@pytest.mark.parametrize("query,registry,number,service", [
    ("protocol 50", "ip-protocol", 50, "ESP"), ("IP protocol 51", "ip-protocol", 51, "AH"),
    ("esp", "ip-protocol", 50, "ESP"), ("Encapsulating Security Payload", "ip-protocol", 50, "ESP"),
    ("proto 17", "ip-protocol", 17, "UDP"), ("icmp 8", "icmp-type", 8, "Echo Request"),
    ("ping", "icmp-type", 8, "Echo Request"), ("icmp type 11", "icmp-type", 11, "Time Exceeded"),
    ("code 3", "icmp-unreachable-code", 3, "Port Unreachable"),
])
def test_numbers_outside_the_port_table_by_number_and_by_name(query: str, registry: str, number: int,
                                                               service: str) -> None:
    data = json.loads(run(query, "--json").output)
    assert (data[0]["registry"], data[0]["number"], data[0]["service"]) == (registry, number, service)
    if query[-1].isdigit():
        assert {h["registry"] for h in data} == {registry}  # `protocol 50` is not port 50


def test_a_protocol_number_beyond_255_is_refused_in_one_line() -> None:
    result = run("protocol 300")
    assert result.exit_code == 1 and result.output == "Error: 300 is not an IP protocol number (0-255)\n"


def test_every_numbered_hit_matches_the_iana_registry(registry_dir: Path) -> None:
    from trainer.registry_files import parse_protocol_numbers

    for entry in parse_protocol_numbers(registry_dir / "protocol-numbers-1.csv"):
        if entry.number in (1, 4, 6, 17, 41, 47, 50, 51, 58, 89, 112, 132):
            data = json.loads(run(f"protocol {entry.number}", "--json").output)
            assert len(data) == 1 and entry.keyword in (data[0]["service"], *data[0]["aliases"]), entry


def test_a_bare_number_is_not_read_as_an_icmp_code_unless_asked() -> None:
    registries = {h["registry"] for h in json.loads(run("3", "--json").output)}
    assert registries == {"port", "ip-protocol", "icmp-type"}  # type 3 Destination Unreachable, not code 3
    assert json.loads(run("code 3", "--json").output)[0]["service"] == "Port Unreachable"

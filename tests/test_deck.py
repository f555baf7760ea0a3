from __future__ import annotations

from pathlib import Path

import pytest

from trainer.deck import dump_deck, load_deck, parse_deck
from trainer.errors import DeckError
from trainer.paths import bundled_deck

GOOD = """\
format: 1
name: mine
title: My ports
facts:
- key: imap
  service: IMAP
  aliases: [imap4]
  ports: 143
  transport: tcp
- service: FTP
  ports: [20, 21]
- front: What does CIA stand for?
  back: Confidentiality, integrity, availability
  accept: [CIA triad]
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "deck.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_a_valid_deck_loads_with_keys_derived_when_missing(tmp_path: Path) -> None:
    deck = load_deck(write(tmp_path, GOOD))
    assert deck.name == "mine" and [f.key for f in deck.facts] == ["imap", "ftp", "what-does-cia-stand-for"]
    assert deck.facts[1].ports == (20, 21) and deck.facts[1].transport == "tcp"
    assert deck.facts[2].accept == ("CIA triad",)


def test_dump_then_parse_gives_the_same_deck(tmp_path: Path) -> None:
    deck = load_deck(write(tmp_path, GOOD))
    again = parse_deck(dump_deck(deck), tmp_path / "deck.yaml")
    assert again.facts == deck.facts and again.kinds == deck.kinds and dump_deck(again) == dump_deck(deck)


@pytest.mark.parametrize("old,new,expected", [
    ("  ports: 143\n", "  ports: 70000\n", "deck.yaml:8: facts[0].ports: 70000 is not a port (0-65535)"),
    ("- service: FTP\n", "- key: imap\n  service: FTP\n",
     "deck.yaml:10: facts[1]: duplicate key `imap` (first at line 5)"),
    ("  transport: tcp\n", "  transport: sctp\n", "deck.yaml:9: facts[0].transport: 'sctp' must be tcp, udp or both"),
    ("  back: Confidentiality, integrity, availability\n", "", "deck.yaml:12: facts[2]: `back` is required"),
    ("title: My ports\n", "title: [My ports\n", "deck.yaml:"),
    ("  ports: [20, 21]\n", "  ports: '21-20'\n", "deck.yaml:11: facts[1].ports: '21-20': range runs backwards"),
])
def test_errors_name_file_line_and_field(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(DeckError) as e:
        load_deck(path)
    message = str(e.value)
    assert message.startswith(str(path.parent) + "/" + expected), message
    assert "\n" not in message


def test_anchors_and_aliases_are_refused(tmp_path: Path) -> None:
    bomb = "a: &a [x, x]\nb: &b [*a, *a]\nfacts: [*b, *b]\n"
    with pytest.raises(DeckError, match="deck.yaml:1: YAML anchors and aliases are not allowed"):
        load_deck(write(tmp_path, bomb))


def test_python_tags_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DeckError, match="not valid YAML"):
        load_deck(write(tmp_path, "facts: !!python/object/apply:os.system ['true']\n"))


def test_empty_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(DeckError, match="empty file"):
        load_deck(write(tmp_path, ""))
    p = tmp_path / "bin.yaml"
    p.write_bytes(b"facts: \xff\n")
    with pytest.raises(DeckError, match="not UTF-8"):
        load_deck(p)


def test_secure_must_name_a_fact_of_the_deck(tmp_path: Path) -> None:
    text = GOOD.replace("  transport: tcp\n", "  transport: tcp\n  secure: imaps\n", 1)
    with pytest.raises(DeckError, match=r"deck.yaml:10: secure: `imaps` is not the key"):
        load_deck(write(tmp_path, text))


def test_bundled_exam_deck_is_valid_and_complete() -> None:
    deck = load_deck(bundled_deck("exam"))
    ports = {p for f in deck.facts for p in f.ports}
    objective_1_4 = {20, 21, 22, 23, 25, 53, 67, 68, 69, 80, 123, 161, 162, 389, 443, 445, 514, 587, 636,
                     1433, 3389, 5060, 5061}
    security_plus = {49, 88, 110, 143, 137, 138, 139, 465, 500, 989, 990, 993, 995, 1812, 1813, 3306, 5432, 6514,
                     1701, 1723, 179, 135, 5900}
    assert objective_1_4 | security_plus | {4500, 853} <= ports  # 853: DoT, N10-009 3.4
    ip_types = {f.service: f.number for f in deck.facts if f.numbering == "ip-protocol"}
    assert ip_types == {"ICMP": 1, "TCP": 6, "UDP": 17, "GRE": 47, "ESP": 50, "AH": 51}  # objective 1.4's IP types
    traffic = " ".join(f"{f.back} {' '.join(f.accept)}".casefold() for f in deck.facts if f.front)
    assert all(t in traffic for t in ("unicast", "multicast", "anycast", "broadcast"))  # objective 1.4's traffic types
    assert set(deck.kinds) == {"service-port", "port-service", "transport", "range", "secure", "service-number",
                               "number-service", "front-back"}


def test_port_ranges_survive_the_round_trip_through_storage(tmp_path: Path) -> None:
    from trainer.deck import Fact

    deck = parse_deck("facts:\n- service: NetBIOS\n  ports: 137-139\n  transport: both\n")
    fact = deck.facts[0]
    assert fact.to_dict()["ports"] == ["137-139"]
    assert Fact.from_dict(fact.to_dict()) == fact and fact.ports == (137, 138, 139)


def test_unknown_fields_are_warnings_with_their_line(tmp_path: Path) -> None:
    deck = load_deck(write(tmp_path, GOOD.replace("  aliases: [imap4]\n", "  colour: red\n")))
    assert len(deck.facts) == 3
    assert [w.split("/")[-1] for w in deck.warnings] == [
        "deck.yaml:7: warning: facts[0].colour: unknown field ignored (known: accept, accept_ports, accept_transport, "
        "aliases, back, description, front, key, kinds, note, number, numbering, ports, registry, secure, service, "
        "source, tags, transport)"]


def test_a_key_given_twice_in_one_fact_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DeckError, match=r"deck.yaml:9: `ports` appears twice in this mapping \(first at line 8\)"):
        load_deck(write(tmp_path, GOOD.replace("  ports: 143\n", "  ports: 143\n  ports: 993\n")))


def test_a_deck_mixing_port_and_generic_facts_asks_both(tmp_path: Path) -> None:
    deck = load_deck(write(tmp_path, GOOD))
    assert deck.kinds == ("service-port", "port-service", "front-back")

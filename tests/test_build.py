"""The bundled decks come from the registry files: reproducibly, and agreeing with IANA."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from trainer import prebuilt
from trainer.deck import _parse_yaml, load_deck, parse_deck, read_text, transport_list
from trainer.errors import DeckError
from trainer.paths import bundled_deck, bundled_deck_names
from trainer.registry_decks import Registry, exam_deck, load_curated
from trainer.registry_files import parse_iana_csv, parse_protocol_numbers, parse_services

ROOT = Path(__file__).resolve().parent.parent
CURATED = ROOT / "decks" / "src" / "exam-ports.yaml"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import REGISTRY_DIR

    if not (REGISTRY_DIR / "service-names-port-numbers.csv").exists():
        pytest.skip("registry files not present")
    out = tmp_path_factory.mktemp("decks")
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_decks.py"), "--registry-dir",
                           str(REGISTRY_DIR), "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    for name in ("exam", "common", "registry", "protocols", "icmp", "concepts"):  # every bundled deck is built
        assert f"{name}.yaml: " in proc.stdout, proc.stdout
    return out


@pytest.mark.parametrize("name", ["exam.yaml", "common.yaml", "registry.yaml", "registry.lookup.json",
                                  "known-names.txt", "protocols.yaml", "icmp.yaml", "concepts.yaml", "vocabulary.txt",
                                  "terms.txt", "versions.txt",
                                  *(f"{n}{prebuilt.SUFFIX}" for n in bundled_deck_names())])
def test_committed_decks_match_a_fresh_build_byte_for_byte(built: Path, name: str) -> None:
    assert (built / name).read_bytes() == (ROOT / "decks" / name).read_bytes()


@pytest.mark.parametrize("name", bundled_deck_names())
def test_each_prebuilt_deck_is_what_its_yaml_reads_as(name: str) -> None:
    """The JSON shipped beside a bundled deck is rebuilt byte for byte from the YAML, and gives the same deck,
    lines too: importing the bundled deck reads the JSON."""
    path = bundled_deck(name)
    from_yaml = parse_deck(read_text(path), path)
    by_pyyaml = _parse_yaml(read_text(path), path)  # the reader of old, whatever yaml_subset makes of the file
    assert from_yaml == by_pyyaml and [f.line for f in from_yaml.facts] == [f.line for f in by_pyyaml.facts]
    shipped = path.with_name(f"{name}{prebuilt.SUFFIX}")
    assert prebuilt.text(from_yaml, path.read_bytes()) == shipped.read_text(encoding="utf-8")
    deck = prebuilt.load(path, path.parent)
    assert deck is not None and deck == from_yaml and deck.facts == from_yaml.facts
    assert [f.line for f in deck.facts] == [f.line for f in from_yaml.facts] and deck.warnings == from_yaml.warnings
    assert [type(k) for k in deck.kinds] == [type(k) for k in from_yaml.kinds]
    assert load_deck(path) == deck and load_deck(path).source == str(path)


def test_an_edited_bundled_deck_is_read_from_its_yaml(tmp_path: Path) -> None:
    path = tmp_path / "exam.yaml"
    path.write_text(bundled_deck("exam").read_text(encoding="utf-8").replace("ports: [587]", "ports: [465]", 1),
                    encoding="utf-8")
    assert prebuilt.load(path, bundled_deck("exam").parent) is None
    assert 465 in {p for f in load_deck(path).facts if f.key == "smtps" for p in f.ports}
    copy = tmp_path / "copy" / "exam.yaml"  # the very file, elsewhere: the prebuilt deck, with this source
    copy.parent.mkdir()
    copy.write_bytes(bundled_deck("exam").read_bytes())
    deck = prebuilt.load(copy, bundled_deck("exam").parent)
    assert deck is not None and deck.facts == load_deck(bundled_deck("exam")).facts and deck.source == str(copy)


def test_every_exam_fact_agrees_with_iana_or_says_why_not(registry_dir: Path) -> None:
    iana = parse_iana_csv(registry_dir / "service-names-port-numbers.csv")
    rows = {(e.service, e.port_low, e.transport) for e in iana if e.port_low == e.port_high}
    protocols = {(e.keyword, e.number) for e in parse_protocol_numbers(registry_dir / "protocol-numbers-1.csv")}
    for fact in load_deck(bundled_deck("exam")).facts:
        if fact.numbering:
            assert fact.numbering == "ip-protocol" and (fact.registry, fact.number) in protocols, fact.key
            continue
        if not fact.is_port:  # a traffic type: a question, not a registry entry
            assert fact.source.startswith("N10-009 1.4: Traffic types"), fact.key
            continue
        names = [n.split("(")[0].strip() for n in (fact.registry or "").split(",")]
        if len(names) == 1:
            names *= len(fact.ports)
        for port, name in zip(fact.ports, names, strict=False):
            for t in ("tcp", "udp") if fact.transport == "both" else (fact.transport,):
                assert (name, port, t) in rows, (fact.key, name, port, t)
        if fact.service.casefold() not in {n.casefold() for n in names}:
            assert any(n in fact.note for n in names), f"{fact.key}: label differs from IANA without a note"


def test_the_exam_labels_learners_meet_are_there() -> None:
    by_key = {f.key: f for f in load_deck(bundled_deck("exam")).facts}
    assert by_key["rdp"].registry == "ms-wbt-server" and by_key["rdp"].ports == (3389,)
    assert by_key["smb"].registry == "microsoft-ds" and by_key["dns"].registry == "domain"
    assert by_key["smtps"].service == "SMTPS" and by_key["smtps"].ports == (587,)  # N10-009's own row
    assert "N10-009" in by_key["smtps"].note and "465" in by_key["smtps"].note
    assert "SMTPS" in by_key["submissions"].aliases and by_key["submissions"].ports == (465,)
    assert by_key["sftp"].ports == (22,) and by_key["sftp"].service == "SFTP"
    assert set(by_key["ftp"].secure) == {"ftps", "sftp"}
    assert by_key["syslog"].transport == "udp" and by_key["tftp"].transport == "udp"


def test_a_curated_port_that_contradicts_iana_fails_the_build(registry_dir: Path) -> None:
    curated = load_curated(CURATED)
    reg = Registry.from_entries(parse_iana_csv(registry_dir / "service-names-port-numbers.csv"))
    services = parse_services(registry_dir / "etc-services-debian")
    wrong = [dict(c, ports=[144]) if c["key"] == "imap" else c for c in curated]
    with pytest.raises(DeckError, match=r"imap: IANA has no `imap` on 144/tcp"):
        exam_deck(wrong, reg, services)
    wrong = [dict(c, transport="both") if c["key"] == "imap" else c for c in curated]
    with pytest.raises(DeckError, match=r"IANA has no `imap` on 143/udp \(it has: nothing\)"):
        exam_deck(wrong, reg, services)


def test_common_deck_is_ordered_by_how_often_ports_are_seen(registry_dir: Path) -> None:
    from trainer.registry_files import parse_nmap_services

    deck = load_deck(bundled_deck("common"))
    freq = {(e.port, e.transport): e.frequency for e in parse_nmap_services(registry_dir / "nmap-services")}
    best = [max(freq.get((p, t), 0) for p in f.ports for t in transport_list(f.transport)) for f in deck.facts]
    assert best == sorted(best, reverse=True) and len(deck.facts) >= 30
    assert deck.facts[0].key == "ms-sql-m"  # 1434/udp, the most frequent port the exam deck does not teach
    assert deck.facts[0].service == "SQL Server Browser" and "ms-sql-m" in deck.facts[0].aliases
    exam_ports = {p for f in load_deck(bundled_deck("exam")).facts for p in f.ports}
    assert not exam_ports & {p for f in deck.facts for p in f.ports}


def test_common_deck_transports_are_debians_not_nmaps(registry_dir: Path) -> None:
    debian = {(s.name, s.port, s.transport) for s in parse_services(registry_dir / "etc-services-debian")}
    for f in load_deck(bundled_deck("common")).facts:
        for p in f.ports:
            for t in ("tcp", "udp"):
                assert ((f.key, p, t) in debian) == (f.transport in (t, "both")), (f.key, p, t)  # key: Debian's name


def test_registry_deck_merges_by_name_and_keeps_ranges() -> None:
    deck = load_deck(bundled_deck("registry"))
    by_name = {f.service: f for f in deck.facts}
    assert by_name["x11"].ports == tuple(range(6000, 6064)) and by_name["x11"].transport == "both"
    assert by_name["imaps"].ports == (993,) and by_name["imaps"].transport == "tcp"
    assert "RDP" in by_name["ms-wbt-server"].aliases
    assert deck.kinds == ("service-port", "port-service") and len(deck.facts) > 5000

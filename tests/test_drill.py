"""Exam-shaped drills with fixed seeds: the drill a seed gives and the score an answer earns, checked by hand
against the port table (IANA via the exam deck)."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

import pytest
from conftest import run

from trainer.deck import load_deck
from trainer.drill import Rule, grade, make, parse_rule
from trainer.paths import bundled_deck

FACTS = load_deck(bundled_deck("exam")).facts


def test_match_six_services_to_six_ports_pair_by_pair() -> None:
    d = make("match", FACTS, random.Random(3))
    assert [line.split(")")[1].split()[0] for line in d.lines] == ["IPsec", "Telnet", "VNC", "BGP", "SSH", "RDP"]
    assert [line.rsplit(") ", 1)[1] for line in d.lines] == ["4500/udp", "3389/tcp", "22/tcp", "179/tcp", "5900/tcp",
                                                              "23/tcp"]
    assert grade(d, "a1 b6 c5 d4 e3 f2").score == 6
    assert grade(d, "1a 6b 5c 4d 3e 2f").score == 6  # number first
    assert grade(d, "a1 b6 c5 d4 e3 f2 a2 a3").score == 5  # hedging a: no mark for a
    half = grade(d, "a1, b-6, c=5\nd2 e3 f4")  # RDP and BGP swapped: both named
    assert (half.score, half.total) == (4, 6)
    assert "  ✗ d4  BGP is 179/tcp: you paired it with 2 (3389/tcp, RDP's)" in half.lines
    assert set(half.confused) == {("bgp", "rdp"), ("rdp", "bgp")}


def test_choose_all_is_graded_as_a_set_with_missing_and_extra_named() -> None:
    d = make("choose", FACTS, random.Random(5))
    assert d.title == "Which of these use well-known (System) ports, 0-1023?"
    assert [line.split(") ")[1] for line in d.lines] == ["L2TP", "IMAPS", "SQL Server", "IKE", "LDAP", "VNC"]
    assert grade(d, "2 4 5").score == 6 and grade(d, "IMAPS, IKE and LDAP").score == 6  # names count too
    assert grade(d, "245").score == 6  # options 2, 4 and 5 typed without spaces
    assert grade(d, "02 04 05").score == 6  # leading zeros
    assert grade(d, "500").score == 3  # a port typed by mistake is no option, not a crash
    encrypted = [make("choose", FACTS, random.Random(seed)) for seed in range(60)]
    assert all("SNMP" not in d.lines[i] for d in encrypted if "encrypted" in d.title for i in range(len(d.lines)))
    g = grade(d, "2 3")
    assert (g.score, g.total) == (3, 6)  # IKE and LDAP missed, SQL Server (1433) extra
    assert "  missed 4) IKE: it fits" in g.lines and "  extra 3) SQL Server: it does not fit" in g.lines


def test_the_brain_dump_counts_each_service_whose_ports_are_all_written() -> None:
    d = make("dump", FACTS, random.Random(1), family="infrastructure")
    assert d.title == "Write every port of the infrastructure family: 4 services."
    g = grade(d, "DNS 53, DHCP 67, NTP 123, DoT 853, SMTP 25", FACTS)
    assert (g.score, g.total) == (3, 4)  # DHCP needs 67 and 68
    assert "  ✗ DHCP 67, 68 (udp): partly, also 68" in g.lines and "  extra SMTP: not of this family" in g.lines
    mail = make("dump", FACTS, random.Random(1), family="mail")
    swapped = grade(mail, "SMTP 25, SMTPS 587, POP3 110, IMAP 993, IMAPS 143, POP3S 995, SMTP over implicit TLS 465",
                    FACTS)  # names beside each other's ports are confusions, not right
    assert swapped.score == 5 and "  ✗ IMAP 143/tcp: you wrote 993, which is IMAPS's" in swapped.lines
    assert grade(mail, "25 587 110 143 465 993 995", FACTS).score == 0  # ports with no name say nothing
    assert grade(mail, "SMTP 25, IMAP 143/tcp and IMAPS 993", FACTS).score == 3
    both = grade(mail, "SMTP 25, SMTPS 465 and 587, POP3 110, IMAP 143, IMAPS 993, POP3S 995", FACTS)
    assert both.score == 7  # SMTPS is 587 (N10-009) and 465 (study lists, IANA submissions): each credited
    mgmt = make("dump", FACTS, random.Random(1), family="management")
    udp = grade(mgmt, "SNMP 161/tcp 162/tcp, Syslog 514/udp, Syslog over TLS 6514/tcp", FACTS)
    assert "  ✗ SNMP uses UDP, not TCP" in udp.lines and udp.score == 2  # the transport trap is the exam's


@pytest.mark.parametrize("typed,rule", [
    ("allow tcp 443", Rule("tcp", 443)),
    ("ufw allow 443/tcp", Rule("tcp", 443)),
    ("permit tcp any any eq 443", Rule("tcp", 443)),
    ("allow tcp 22 from 10.0.0.5", Rule("tcp", 22, "10.0.0.5")),
    ("ufw allow from 10.0.0.5 to any port 22 proto tcp", Rule("tcp", 22, "10.0.0.5")),
    ("permit tcp host 10.0.0.5 any eq 22", Rule("tcp", 22, "10.0.0.5")),
    ("access-list 101 permit tcp 10.0.0.5 0.0.0.0 any eq 22", Rule("tcp", 22, "10.0.0.5")),
    ("allow udp 514 to 10.0.0.9", Rule("udp", 514, "10.0.0.9", "out")),
    ("allow udp to 10.0.0.9 514", Rule("udp", 514, "10.0.0.9", "out")),
    ("ufw allow out to 10.0.0.9 port 514 proto udp", Rule("udp", 514, "10.0.0.9", "out")),
    ("permit udp any host 10.0.0.9 eq 514", Rule("udp", 514, "10.0.0.9", "out")),
    ("deny tcp 23", None),
    ("iptables -A INPUT -p tcp -s 10.0.0.5 --dport 22 -j ACCEPT", Rule("tcp", 22, "10.0.0.5")),
    ("iptables -A OUTPUT -p udp -d 10.0.0.9 --dport 514 -j ACCEPT", Rule("udp", 514, "10.0.0.9", "out")),
    ("access-list 101 permit udp any host 10.0.0.123 eq 123", Rule("udp", 123, "10.0.0.123", "out")),
    ("permit ip any any", Rule("ip", 0)),
    ("allow tcp 22 from 10.0.0.5/0", Rule("tcp", 22)),  # /0 is any source
    ("allow tcp 22 from 10.0.0.5/8", Rule("tcp", 22, "10.0.0.5/8 (a network)")),
    ("permit tcp 10.0.0.5 0.0.0.255 any eq 22", Rule("tcp", 22, "10.0.0.5 0.0.0.255 (a network)")),
    ("permit tcp 10.0.0.5 0.0.0.0 any eq 22", Rule("tcp", 22, "10.0.0.5")),
    ("allow in udp 53 to 10.0.0.53", Rule("udp", 53)),  # inbound, said outright: `to` is this server
    ("-A INPUT -p udp -d 10.0.0.53 --dport 53 -j ACCEPT", Rule("udp", 53)),
    ("permit tcp host 10.0.0.5 eq 22 any", Rule("ip", 0)),  # a source port: every destination port
    ("iptables -P INPUT ACCEPT", Rule("ip", 0)),
    ("permit tcp any any eq www", Rule("tcp", 80)),
    ("allow tcp 1-65535", Rule("ip", 0)),
])
def test_allow_rules_in_three_syntaxes_read_the_same(typed: str, rule: Rule | None) -> None:
    assert parse_rule(typed) == rule


def test_a_line_may_allow_several_rules_and_port_names_come_from_the_deck() -> None:
    from trainer.drill import parse_rules, port_names

    names = port_names(FACTS)
    assert parse_rules("ufw allow 5060") == [Rule("tcp", 5060), Rule("udp", 5060)]  # no proto: both
    assert parse_rules("allow tcp 5060-5061") == [Rule("tcp", 5060), Rule("tcp", 5061)]
    assert parse_rules("permit udp any host 10.0.0.123 eq ntp", names) == [Rule("udp", 123, "10.0.0.123", "out")]
    assert parse_rules("allow ssh from 10.0.0.5", names) == [Rule("tcp", 22, "10.0.0.5")]
    assert parse_rules("allow tcp 445,22") == [Rule("tcp", 445), Rule("tcp", 22)]
    assert parse_rules("hello") is None and parse_rules("deny tcp 23") == []


def test_firewall_rules_are_graded_as_a_set_naming_too_open_wrong_transport_and_insecure() -> None:
    d = make("firewall", FACTS, random.Random(0))
    assert d.title == ("A file server must serve SMB, be managed over SSH from 10.0.0.5 only and send to NTP on "
                       "10.0.0.123; nothing else.")
    assert grade(d, "ufw allow 445/tcp; permit tcp host 10.0.0.5 any eq 22\nallow udp 123 to 10.0.0.123").score == 3
    g = grade(d, "allow udp 445; allow tcp 22; allow udp 123 to 10.0.0.123; allow tcp 23")
    assert (g.score, g.total) == (1, 4)
    assert "  ✗ allow udp 445: SMB uses TCP (allow tcp 445)" in g.lines
    assert "  ✗ allow tcp 22 opens too much: only 10.0.0.5 as source (allow tcp 22 from 10.0.0.5)" in g.lines
    assert "  ✗ allow tcp 23: Telnet sends passwords in the clear: use SSH" in g.lines
    right = "allow tcp 445; allow tcp 22 from 10.0.0.5; allow udp 123 to 10.0.0.123"
    for extra, says in (("allow tcp 22", "  ✗ allow tcp 22: not needed: nothing else"),  # SSH open to everyone too
                        ("permit ip any any", "  ✗ a rule that allows every port: the scenario says nothing else"),
                        ("make it secure", "  ? `make it secure`: not read as a rule (see `trainer drill --help` "
                                           "for the forms)"),
                        ("permit tcp any any", "  ✗ a rule that allows every port: the scenario says nothing else"),
                        ("permit tcp any eq 443 any", "  ✗ a rule that allows every port: the scenario says nothing "
                                                      "else")):
        g = grade(d, f"{right}; {extra}")
        assert g.score == 3 and says in g.lines, g.lines
        assert g.total == 4 or extra == "make it secure"
    mail = make("firewall", FACTS, random.Random(1))
    assert "SMTPS" in mail.title
    smtps = grade(mail, "allow tcp 25; allow tcp 465; allow tcp 993; allow tcp 22 from 10.0.0.5; "
                        "allow tcp 53 to 10.0.0.53; allow udp 53 to 10.0.0.53", FACTS)
    assert smtps.score == 6  # 465 is SMTPS too on study lists (N10-009 prints 587)
    voip = make("firewall", FACTS, random.Random(10))
    assert "SIP" in voip.title
    g = grade(voip, "allow udp 5060; allow udp 5061")
    assert "  ✗ missing: allow tcp 5060  (SIP uses TCP as well)" in g.lines
    assert not any("SIP uses TCP (" in ln for ln in g.lines)  # never right and wrong at once

def test_netstat_names_the_service_on_each_listening_port() -> None:
    d = make("netstat", FACTS, random.Random(2))
    assert any(":445 " in line and "smbd" in line for line in d.lines)
    assert grade(d, "445 SMB, 22 SSH").score == 2
    g = grade(d, "445 NetBIOS, 22 Secure Shell")
    assert (g.score, g.total) == (1, 2) and "  ✗ 445: SMB (you said NetBIOS)" in g.lines
    assert grade(d, "445 SMB, 22 SFTP", FACTS).score == 2  # SFTP is on 22 as well
    assert grade(d, "SMB 445, SSH: 22").score == 2 and grade(d, "SMB 22, SSH 445").score == 0  # name first
    assert not any("ESTAB" in line and "sshd" in line for line in d.lines)


def test_netstat_asks_which_port_to_close_and_which_connection_goes_out() -> None:
    out = make("netstat", FACTS, random.Random(0))
    assert out.title.endswith("Which connection goes out to the NTP server? Give its remote address and port.")
    assert any("ESTAB" in line and "10.0.0.123:123" in line for line in out.lines)
    assert grade(out, "10.0.0.123:123").score == 1 and grade(out, "10.0.0.20:48484").score == 0
    assert grade(out, "10.0.0.123 port 123").score == 1 and grade(out, "10.0.0.123 123").score == 1
    close = make("netstat", FACTS, random.Random(12))
    assert "domain controller" in close.title and "should be closed" in close.title
    assert any(":69 " in line and "in.tftpd" in line for line in close.lines)
    assert grade(close, "69").score == 1 and grade(close, "0.0.0.0:69").score == 1 and grade(close, "TFTP").score == 1
    wrong = grade(close, "53")
    assert wrong.score == 0 and wrong.lines == ("✗ 69: TFTP (TFTP has no authentication at all); you said 53",)


def test_a_drill_through_a_pipe_records_practice_and_its_misses_come_first(isolated_home: Path) -> None:
    out = run(["drill", "match", "--seed", "3", "--count", "1"], input="a1 b6 c5 d2 e3 f4\n").output
    assert "4 of 6 pairs right." in out and "Drills: 4 of 6 (66%)." in out
    con = sqlite3.connect(isolated_home / "trainer.db")
    practice = con.execute("SELECT card_id, correct FROM log WHERE mode = 'practice' ORDER BY card_id").fetchall()
    assert ("exam/bgp/service-port", 0) in practice and ("exam/ssh/service-port", 1) in practice
    assert con.execute("SELECT kind, score, total FROM drills").fetchall() == [("match", 4, 6)]
    assert con.execute("SELECT count(*) FROM cards WHERE reps > 0").fetchone()[0] == 0  # the schedule did not move
    missed = run(["review", "--missed"], input="\n\n").output
    assert "Which port does BGP use?" in missed or "Which port does RDP use?" in missed
    data = json.loads(run(["stats", "--json"]).output)
    assert data["drills"][0] == {"at": data["drills"][0]["at"], "kind": "match", "deck": "exam", "score": 4,
                                 "total": 6}


def test_the_rule_list_with_mistakes_names_each_wrong_line_and_why() -> None:
    d = make("rules", FACTS, random.Random(1))
    assert d.lines == ("  1) allow tcp 587", "  2) allow tcp 993", "  3) allow out tcp 53 to 10.0.0.53",
                       "  4) allow tcp 22", "  5) allow udp 25", "  6) allow out udp 53 to 10.0.0.53")
    assert grade(d, "4 5").score == 6
    dns = make("rules", FACTS, random.Random(3))
    assert "  6) allow out udp 53 to 10.0.0.53" in dns.lines  # a mistake replaces its own line, no other
    g = grade(d, "5 1")
    assert (g.score, g.total) == (4, 6)
    assert "  missed 4) allow tcp 22: opens SSH to any source, not only 10.0.0.5" in g.lines
    assert "  1) allow tcp 587 is right: SMTPS" in g.lines and "  ✓ 5) allow udp 25: SMTP uses TCP" in g.lines


@pytest.mark.parametrize("kind", ["match", "choose", "dump", "firewall", "rules", "netstat"])
def test_the_right_answer_always_earns_every_mark(kind: str) -> None:
    from trainer.drill import LETTERS

    for seed in range(40):
        d = make(kind, FACTS, random.Random(seed))
        if kind == "match":
            answer = " ".join(f"{LETTERS[i]}{n}" for i, n in enumerate(d.expected))
        elif kind in ("choose", "rules"):
            answer = " ".join(d.expected)
        elif kind == "dump":
            answer = ", ".join(f"{f.service} {', '.join(map(str, f.ports))}" for f in d.facts)
        elif kind == "firewall":
            answer = "; ".join(r.text() for r in d.rules)
        elif "each port" in d.title:
            answer = ", ".join(f"{p} {next(f.service for f in d.facts if int(p) in f.ports)}" for p in d.expected)
        else:
            answer = d.expected[0]
        g = grade(d, answer, FACTS)
        assert g.score == g.total, (seed, d.title, answer, g.lines)


def test_a_deck_that_cannot_make_a_kind_of_drill_says_so_in_one_line(isolated_home: Path) -> None:
    result = run(["drill", "dump", "--deck", "common", "--seed", "1"], input="x\n")
    assert result.exit_code == 1 and result.output.strip().endswith(
        "Error: deck 'common': a dump needs port facts in families (tags)")
    mixed = run(["drill", "--deck", "common", "--seed", "3", "--count", "4"], input="x\n" * 4).output
    assert mixed.count("\n(") + mixed.startswith("(") >= 4 - 1 and "Error" not in mixed  # other kinds instead
    fire = run(["drill", "firewall", "--deck", "common", "--seed", "0"], input="allow tcp 445\n")
    assert fire.exit_code == 1 and fire.output.strip() == (  # server roles are made of the exam deck's facts
        "Error: firewall drills use the server roles, made of the exam deck's facts: leave out --deck")
    assert "A file server must serve SMB" in run(["drill", "firewall", "--seed", "0"], input="x\n").output

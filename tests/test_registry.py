"""trainer.registry_files: small committed fixtures for every quirk, then the real files if present."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from trainer.errors import DeckError, RegistryError
from trainer.registry_files import (
    IanaEntry,
    NmapEntry,
    ServiceEntry,
    detect_format,
    iana_assignments,
    parse_iana_csv,
    parse_nmap_services,
    parse_services,
)

T = TypeVar("T")
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "registry"
IANA_HEADER = (
    "Service Name,Port Number,Transport Protocol,Description,Assignee,Contact,"
    "Registration Date,Modification Date,Reference,Service Code,"
    "Unauthorized Use Reported,Assignment Notes"
)


def _registry_dir() -> Path:
    """The real registries are big and not ours to commit, so they live outside the repo."""
    env = os.environ.get("TRAINER_REGISTRY_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent.parent / "shared" / "registry"


def _real(name: str) -> Path:
    """Skip, rather than fail, on machines that lack the shared registry files."""
    path = _registry_dir() / name
    if not path.is_file():
        pytest.skip(f"real registry file {path} not available")
    return path


def _write(tmp_path: Path, name: str, text: str) -> Path:
    """Malformed inputs are built per test so each one shows exactly the line under test."""
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def _raises_at(path: Path, line: int | None) -> str:
    """Editors jump on `FILE:LINE:`; return the expected prefix for pytest.raises(match=...)."""
    return "^" + re.escape(f"{path}:{line}: " if line else f"{path}: ")


# --- IANA CSV fixture -------------------------------------------------------------------


@pytest.fixture(scope="module")
def iana() -> list[IanaEntry]:
    return parse_iana_csv(FIXTURES / "iana-sample.csv")


def _one(entries: list[IanaEntry], service: str, transport: str) -> IanaEntry:
    matches = [e for e in entries if e.service == service and e.transport == transport]
    assert len(matches) == 1, matches
    return matches[0]


def test_iana_keeps_every_data_row(iana: list[IanaEntry]) -> None:
    assert len(iana) == 12
    assert {e.service for e in iana} == {"", "http", "whois++", "x11", "discard", "argus"}


def test_iana_line_numbers_are_where_records_start(iana: list[IanaEntry]) -> None:
    assert [e.line for e in iana] == [2, 3, 4, 5, 6, 7, 8, 12, 13, 14, 15, 16]


def test_iana_multiline_description_is_joined_and_reported_at_start(
    iana: list[IanaEntry],
) -> None:
    whois = _one(iana, "whois++", "tcp")
    assert whois.line == 8
    assert whois.description == 'whois++ (historic)\nalias of whoispp,\nsee "whoispp"'
    assert (whois.port_low, whois.port_high) == (63, 63)
    assert _one(iana, "x11", "tcp").line == 12  # the record after it is not shifted


def test_iana_port_range(iana: list[IanaEntry]) -> None:
    x11 = _one(iana, "x11", "udp")
    assert (x11.port_low, x11.port_high) == (6000, 6063)
    assert x11.is_named


def test_iana_single_port_has_equal_bounds(iana: list[IanaEntry]) -> None:
    http = _one(iana, "http", "tcp")
    assert (http.port_low, http.port_high) == (80, 80)
    assert http.description == "World Wide Web HTTP"


def test_iana_rows_without_service_name_are_kept_but_not_named(iana: list[IanaEntry]) -> None:
    nameless = [e for e in iana if not e.service]
    assert [(e.port_low, e.port_high, e.transport, e.description) for e in nameless] == [
        (0, 0, "tcp", "Reserved"),
        (0, 0, "udp", "Reserved"),
        (81, 81, "", "Unassigned"),
        (6064, 6065, "", "Unassigned"),
    ]
    assert not any(e.is_named for e in nameless)


def test_iana_named_but_reserved_is_not_an_assignment() -> None:
    entry = IanaEntry("foo", 1, 1, "tcp", "Reserved", 2)
    assert not entry.is_named
    assert IanaEntry("foo", 1, 1, "tcp", "unassigned ", 2).is_named is False
    assert IanaEntry("foo", 1, 1, "tcp", "", 2).is_named is True


def test_iana_row_without_port(iana: list[IanaEntry]) -> None:
    argus = _one(iana, "argus", "")
    assert (argus.port_low, argus.port_high) == (None, None)
    assert argus.description == "ARGUS Protocol"
    assert not argus.is_named


def test_iana_sctp_and_dccp_transports(iana: list[IanaEntry]) -> None:
    assert _one(iana, "http", "sctp").port_low == 80
    assert _one(iana, "discard", "dccp").port_low == 9


def test_iana_one_service_on_several_rows(iana: list[IanaEntry]) -> None:
    assert sorted(e.transport for e in iana if e.service == "http") == ["sctp", "tcp", "udp"]


def test_iana_assignments_keeps_only_named_tcp_udp(iana: list[IanaEntry]) -> None:
    picked = [(e.service, e.transport) for e in iana_assignments(iana)]
    assert picked == [
        ("http", "tcp"),
        ("http", "udp"),
        ("whois++", "tcp"),
        ("x11", "tcp"),
        ("x11", "udp"),
    ]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("http,eighty,tcp,Web,,,,,,,,", "not a number"),
        ("http,65536,tcp,Web,,,,,,,,", "not a number"),
        ("x11,6063-6000,tcp,X,,,,,,,,", "backwards"),
        ("x11,6000-70000,tcp,X,,,,,,,,", "not a number"),
        ("x11,6000-,tcp,X,,,,,,,,", "not a number"),
        ("http,-1,tcp,Web,,,,,,,,", "not a number"),
        ("http,80,tcpx,Web,,,,,,,,", "unknown transport"),
        ("http,80", "at least 4 fields"),
    ],
)
def test_iana_malformed_row_reports_file_and_start_line(
    tmp_path: Path, row: str, message: str
) -> None:
    text = f'{IANA_HEADER}\r\nok,1,tcp,"two\nlines",,,,,,,,\r\n{row}\r\n'
    path = _write(tmp_path, "bad.csv", text)
    with pytest.raises(RegistryError, match=_raises_at(path, 4) + ".*" + message):
        parse_iana_csv(path)


def test_iana_wrong_header(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.csv", "Name,Port,Proto,Desc\r\nhttp,80,tcp,Web\r\n")
    with pytest.raises(RegistryError, match=_raises_at(path, 1) + ".*header"):
        parse_iana_csv(path)


def test_iana_unterminated_quote_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.csv", f'{IANA_HEADER}\r\nhttp,80,tcp,"Web\r\nmore\r\n')
    with pytest.raises(RegistryError, match=_raises_at(path, 2)):
        parse_iana_csv(path)


def test_iana_invalid_utf8_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    text = f"{IANA_HEADER}\r\nhttp,80,tcp,Web\r\ncafe,81,tcp,Caf\xe9\r\n"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(RegistryError, match=_raises_at(path, 3) + ".*UTF-8"):
        parse_iana_csv(path)


def test_registry_error_is_a_deck_error_so_the_cli_reports_it(tmp_path: Path) -> None:
    path = _write(tmp_path, "empty.csv", "")
    with pytest.raises(DeckError, match=_raises_at(path, None)):
        parse_iana_csv(path)


def test_missing_file_is_a_registry_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    for parse in (parse_iana_csv, parse_services, parse_nmap_services, detect_format):
        with pytest.raises(RegistryError, match=_raises_at(path, None) + "cannot read"):
            parse(path)


# --- services fixtures ------------------------------------------------------------------


def test_services_debian_tabs_spaces_aliases_comments() -> None:
    entries = parse_services(FIXTURES / "services-debian")
    assert [e.name for e in entries] == [
        "tcpmux", "echo", "discard", "ssh", "http", "imap2", "afpovertcp",
    ]
    by_name = {e.name: e for e in entries}
    assert by_name["tcpmux"] == ServiceEntry(
        "tcpmux", 1, "tcp", (), "TCP port service multiplexer", 3
    )
    assert by_name["echo"] == ServiceEntry("echo", 7, "tcp", (), "", 5)
    assert by_name["discard"].aliases == ("sink", "null")
    assert by_name["discard"].transport == "udp"
    assert by_name["http"].aliases == ("www", "www-http")  # spaces, not tabs
    assert by_name["http"].comment == "WorldWideWeb HTTP"
    assert by_name["imap2"] == ServiceEntry(
        "imap2", 143, "tcp", ("imap",), "Interim Mail Access P 2 and 4", 9
    )
    assert by_name["afpovertcp"].line == 11  # the whitespace-only line 10 is skipped


def test_services_windows_crlf_latin1_and_hash_without_space() -> None:
    raw = (FIXTURES / "services-windows").read_bytes()
    assert b"\r\n" in raw and b"\xe9" in raw  # the fixture really has the quirks
    entries = parse_services(FIXTURES / "services-windows")
    assert [(e.name, e.port, e.transport, e.line) for e in entries] == [
        ("echo", 7, "tcp", 5),
        ("systat", 11, "tcp", 6),
        ("http", 80, "tcp", 7),
        ("kerberos", 88, "tcp", 8),
        ("cafe", 4711, "udp", 9),
    ]
    assert entries[1].comment == "Active users"
    assert entries[2].aliases == ("www", "www-http")
    assert entries[3].aliases == ("krb5", "kerberos-sec")
    assert entries[4].comment == "Caf\xe9 service"
    assert not any("\r" in e.comment or "\r" in e.transport for e in entries)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("lonely", "missing PORT/PROTOCOL"),
        ("lonely    # just a name", "missing PORT/PROTOCOL"),
        ("http 80 www", "expected PORT/PROTOCOL"),
        ("http 80/ www", "expected PORT/PROTOCOL"),
        ("http 80/tcp/x", "expected PORT/PROTOCOL"),
        ("http eighty/tcp", "not a number"),
        ("http 65536/tcp", "not a number"),
        ("http -1/tcp", "not a number"),
    ],
)
def test_services_malformed_line_reports_file_and_line(
    tmp_path: Path, line: str, message: str
) -> None:
    path = _write(tmp_path, "services", f"# header\n\necho\t7/tcp\n{line}\n")
    with pytest.raises(RegistryError, match=_raises_at(path, 4) + ".*" + message):
        parse_services(path)


def test_services_port_bounds_are_inclusive(tmp_path: Path) -> None:
    path = _write(tmp_path, "services", "zero 0/tcp\nmax 65535/udp\n")
    assert [(e.port, e.transport) for e in parse_services(path)] == [(0, "tcp"), (65535, "udp")]


def test_services_bare_cr_line_endings_still_count_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, "services", "# old Mac file\recho 7/tcp\r\rhttp 80/tcp www\rbad\r")
    with pytest.raises(RegistryError, match=_raises_at(path, 5)):
        parse_services(path)
    path.write_bytes(b"echo 7/tcp\r\rhttp 80/tcp www\r")
    assert [(e.name, e.line) for e in parse_services(path)] == [("echo", 1), ("http", 3)]


# --- nmap-services fixture --------------------------------------------------------------


def test_nmap_fields_and_comments() -> None:
    entries = parse_nmap_services(FIXTURES / "nmap-sample")
    assert len(entries) == 7
    assert entries[0] == NmapEntry(
        "tcpmux", 1, "tcp", 0.001995, "TCP Port Service Multiplexer [rfc-1078]", 3
    )
    assert entries[1] == NmapEntry("unknown", 4, "tcp", 0.000477, "", 4)
    assert entries[-1] == NmapEntry("discard", 9, "sctp", 0.0, "sink null", 9)


def test_nmap_comment_with_tab_inside_stays_in_comment() -> None:
    ufsd = [e for e in parse_nmap_services(FIXTURES / "nmap-sample") if e.name == "ufsd"]
    assert ufsd == [NmapEntry("ufsd", 1008, "tcp", 0.000125, "ufsd\t\t# UFS-aware server", 8)]


def test_nmap_crlf_file_has_clean_fields(tmp_path: Path) -> None:
    text = "#c\r\nunknown\t4/tcp\t0.000477\r\nftp\t21/tcp\t0.2\t# FTP\r\n"
    path = _write(tmp_path, "nmap-services", text)
    assert parse_nmap_services(path) == [
        NmapEntry("unknown", 4, "tcp", 0.000477, "", 2),
        NmapEntry("ftp", 21, "tcp", 0.2, "FTP", 3),
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("http 80/tcp 0.48", "expected NAME<TAB>PORT/PROTOCOL<TAB>FREQUENCY"),
        ("http\t80/tcp", "expected NAME<TAB>PORT/PROTOCOL<TAB>FREQUENCY"),
        ("\t80/tcp\t0.1", "missing service name"),
        ("http\t80\t0.48", "expected PORT/PROTOCOL"),
        ("http\t70000/tcp\t0.48", "not a number"),
        ("http\t80/tcp\toften", "frequency"),
        ("http\t80/tcp\tnan", "frequency"),
        ("http\t80/tcp\t1.5", "frequency"),
    ],
)
def test_nmap_malformed_line_reports_file_and_line(
    tmp_path: Path, line: str, message: str
) -> None:
    path = _write(tmp_path, "nmap-services", f"# header\nftp\t21/tcp\t0.19\n{line}\n")
    with pytest.raises(RegistryError, match=_raises_at(path, 3) + ".*" + message):
        parse_nmap_services(path)


# --- detect_format ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("iana-sample.csv", "iana-csv"),
        ("services-debian", "services"),
        ("services-windows", "services"),
        ("nmap-sample", "nmap-services"),
    ],
)
def test_detect_format_on_fixtures(name: str, expected: str) -> None:
    assert detect_format(FIXTURES / name) == expected


@pytest.mark.parametrize(
    "text",
    ["", "# only comments\n#\n", "hello world\n", "a,b,c\n1,2,3\n", "[section]\nkey = value\n"],
)
def test_detect_format_rejects_other_files(tmp_path: Path, text: str) -> None:
    path = _write(tmp_path, "other.txt", text)
    with pytest.raises(RegistryError, match=_raises_at(path, None) + "not a recognised registry"):
        detect_format(path)


# --- real registry files (skipped when /work/shared/registry is absent) -----------------


def _timed(parse: Callable[[Path], list[T]], path: Path) -> list[T]:
    """Imports run interactively, so parsing a full registry must feel instant."""
    start = time.perf_counter()
    result = parse(path)
    assert time.perf_counter() - start < 0.5
    return result


def test_real_iana_well_known_assignments() -> None:
    path = _real("service-names-port-numbers.csv")
    entries = _timed(parse_iana_csv, path)
    assert len(entries) > 14000
    assigned = list(iana_assignments(entries))
    by_port = {(e.port_low, e.transport): e.service for e in assigned if e.port_low == e.port_high}
    assert by_port[(3389, "tcp")] == "ms-wbt-server"
    assert by_port[(443, "tcp")] == "https"
    assert by_port[(993, "tcp")] == "imaps"
    x11 = [e for e in assigned if e.service == "x11"]
    assert {(e.port_low, e.port_high, e.transport) for e in x11} == {
        (6000, 6063, "tcp"),
        (6000, 6063, "udp"),
    }
    assert all(e.transport in ("tcp", "udp") and e.is_named for e in assigned)
    assert {"sctp", "dccp", ""} <= {e.transport for e in entries}
    assert detect_format(path) == "iana-csv"


def test_real_iana_multiline_record_line_numbers() -> None:
    path = _real("service-names-port-numbers.csv")
    entries = parse_iana_csv(path)
    physical = path.read_bytes().split(b"\n")
    for entry in entries[:400]:  # the start line really begins with the record's service name
        assert physical[entry.line - 1].decode().startswith(f"{entry.service},")


def test_real_debian_services() -> None:
    path = _real("etc-services-debian")
    entries = _timed(parse_services, path)
    imap2 = [e for e in entries if e.name == "imap2" and e.transport == "tcp"]
    assert len(imap2) == 1 and imap2[0].port == 143 and "imap" in imap2[0].aliases
    assert detect_format(path) == "services"


def test_real_windows_services() -> None:
    path = _real("windows-services-sample")
    entries = _timed(parse_services, path)
    assert len(entries) > 100
    http = [e for e in entries if e.name == "http" and e.transport == "tcp"]
    assert http and http[0].port == 80
    assert detect_format(path) == "services"


def test_real_nmap_services() -> None:
    path = _real("nmap-services")
    entries = _timed(parse_nmap_services, path)
    assert len(entries) > 20000
    tcp = {(e.port, e.name): e.frequency for e in entries if e.transport == "tcp"}
    common = [(21, "ftp"), (22, "ssh"), (23, "telnet"), (25, "smtp"), (443, "https")]
    assert all(tcp[(80, "http")] > tcp[key] for key in common)
    assert any("\t" in e.comment for e in entries)
    assert detect_format(path) == "nmap-services"

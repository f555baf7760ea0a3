"""Parsers for the port registries a deck is imported from: IANA CSV, /etc/services, nmap-services."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from trainer.errors import RegistryError, located

__all__ = [
    "IANA_HEADER",
    "IanaEntry",
    "NmapEntry",
    "ServiceEntry",
    "detect_format",
    "iana_assignments",
    "parse_iana_csv",
    "parse_nmap_services",
    "parse_services",
]

IANA_HEADER: tuple[str, ...] = (
    "Service Name",
    "Port Number",
    "Transport Protocol",
    "Description",
    "Assignee",
    "Contact",
    "Registration Date",
    "Modification Date",
    "Reference",
    "Service Code",
    "Unauthorized Use Reported",
    "Assignment Notes",
)
_IANA_USED_COLUMNS = 4  # service, port, transport, description: the only columns we read
_IANA_TRANSPORTS = frozenset({"tcp", "udp", "sctp", "dccp", ""})
_NOT_ASSIGNED = frozenset({"reserved", "unassigned"})
_DECK_TRANSPORTS = frozenset({"tcp", "udp"})
_MAX_PORT = 65535


@dataclass(frozen=True)
class IanaEntry:
    """One IANA CSV record; every row is kept so callers decide what counts as an assignment."""

    service: str
    port_low: int | None
    port_high: int | None
    transport: str
    description: str
    line: int

    @property
    def is_named(self) -> bool:
        """Reserved/Unassigned placeholders and service-code-only rows make useless flashcards."""
        return (
            bool(self.service)
            and self.port_low is not None
            and self.description.strip().lower() not in _NOT_ASSIGNED
        )


@dataclass(frozen=True)
class ServiceEntry:
    """One `name port/proto [aliases] [# comment]` line of an /etc/services style file."""

    name: str
    port: int
    transport: str
    aliases: tuple[str, ...]
    comment: str
    line: int


@dataclass(frozen=True)
class NmapEntry:
    """One nmap-services line; the frequency lets a deck favour ports that are really seen open."""

    name: str
    port: int
    transport: str
    frequency: float
    comment: str
    line: int


def _read_bytes(path: Path) -> bytes:
    """Turn I/O failures into the one-line error the CLI shows instead of a traceback."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        message = f"cannot read file: {exc.strerror or exc}"
        raise RegistryError(located(path, None, message)) from exc
    nul = data.find(b"\0")
    if nul >= 0:
        raise RegistryError(located(path, data.count(b"\n", 0, nul) + 1, "a NUL byte: this is not a text file"))
    return data


def _decode_utf8(path: Path, data: bytes) -> str:
    """IANA publishes UTF-8; a bad byte means a corrupted download, so say where it is."""
    try:
        return data.decode("utf-8-sig", errors="strict")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise RegistryError(located(path, line, f"not valid UTF-8 ({exc.reason})")) from exc


def _decode_lenient(data: bytes) -> str:
    """Services files from Windows or old systems may be latin-1; every byte decodes there."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _split_lines(text: str) -> list[str]:
    """Split on CRLF, LF or CR only, so line numbers match what an editor shows."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _parse_port(text: str) -> int | None:
    """Return the port, or None when it is not a plain ASCII decimal in 0-65535."""
    if not text or not text.isascii() or not text.isdigit():
        return None
    port = int(text)
    return port if port <= _MAX_PORT else None


def _parse_port_proto(path: Path, lineno: int, field: str) -> tuple[int, str]:
    """Both services formats share `PORT/PROTO`; one checker keeps their messages identical."""
    port_text, slash, proto = field.partition("/")
    if not slash or not proto or "/" in proto:
        raise RegistryError(located(path, lineno, f"expected PORT/PROTOCOL, got {field!r}"))
    port = _parse_port(port_text)
    if port is None:
        raise RegistryError(
            located(path, lineno, f"port {port_text!r} is not a number in 0-{_MAX_PORT}")
        )
    return port, proto.lower()


def _iana_ports(path: Path, lineno: int, text: str) -> tuple[int | None, int | None]:
    """IANA writes either `80` or a range `6000-6063`; service-code-only rows leave it empty."""
    text = text.strip()
    if not text:
        return None, None
    low_text, dash, high_text = text.partition("-")
    low = _parse_port(low_text.strip())
    high = _parse_port(high_text.strip()) if dash else low
    if low is None or high is None:
        raise RegistryError(
            located(path, lineno, f"port {text!r} is not a number or range in 0-{_MAX_PORT}")
        )
    if low > high:
        raise RegistryError(located(path, lineno, f"port range {text!r} runs backwards"))
    return low, high


def parse_iana_csv(path: str | Path) -> list[IanaEntry]:
    """Read IANA's service-names CSV, reporting each record by the line it starts on."""
    path = Path(path)
    text = _decode_utf8(path, _read_bytes(path))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    entries: list[IanaEntry] = []
    start = 1
    header_seen = False
    try:
        for row in reader:
            lineno = start
            start = reader.line_num + 1
            if not row:
                continue
            if not header_seen:
                if tuple(row[:_IANA_USED_COLUMNS]) != IANA_HEADER[:_IANA_USED_COLUMNS]:
                    raise RegistryError(
                        located(path, lineno, "not an IANA service-names CSV header (expected "
                                f"{','.join(IANA_HEADER[:_IANA_USED_COLUMNS])},...)")
                    )
                header_seen = True
                continue
            if len(row) < _IANA_USED_COLUMNS:
                raise RegistryError(
                    located(path, lineno, f"expected at least {_IANA_USED_COLUMNS} fields, "
                            f"got {len(row)}")
                )
            service, port_text, transport, description = row[:_IANA_USED_COLUMNS]
            transport = transport.strip().lower()
            if transport not in _IANA_TRANSPORTS:
                raise RegistryError(
                    located(path, lineno, f"unknown transport protocol {transport!r}")
                )
            low, high = _iana_ports(path, lineno, port_text)
            entries.append(
                IanaEntry(service.strip(), low, high, transport, description.strip(), lineno)
            )
    except csv.Error as exc:
        raise RegistryError(located(path, start, f"malformed CSV: {exc}")) from exc
    if not header_seen:
        raise RegistryError(located(path, None, "empty file, expected an IANA CSV header"))
    return entries


def iana_assignments(entries: Iterable[IanaEntry]) -> Iterator[IanaEntry]:
    """A deck only quizzes named TCP/UDP ports; sctp/dccp and placeholders would be noise."""
    for entry in entries:
        if entry.transport in _DECK_TRANSPORTS and entry.is_named:
            yield entry


def parse_services(path: str | Path) -> list[ServiceEntry]:
    """Read Debian or Windows /etc/services; they differ only in whitespace and `#` style."""
    path = Path(path)
    entries: list[ServiceEntry] = []
    lines = _split_lines(_decode_lenient(_read_bytes(path)))
    for lineno, raw in enumerate(lines, start=1):
        data, _, comment = raw.partition("#")
        fields = data.split()
        if not fields:
            continue
        if len(fields) < 2:
            raise RegistryError(located(path, lineno, f"missing PORT/PROTOCOL after {fields[0]!r}"))
        port, transport = _parse_port_proto(path, lineno, fields[1])
        entries.append(
            ServiceEntry(fields[0], port, transport, tuple(fields[2:]), comment.strip(), lineno)
        )
    return entries


def parse_nmap_services(path: str | Path) -> list[NmapEntry]:
    """Read nmap-services; comments may hold tabs, so only the first three tabs separate fields."""
    path = Path(path)
    entries: list[NmapEntry] = []
    lines = _split_lines(_decode_lenient(_read_bytes(path)))
    for lineno, raw in enumerate(lines, start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        parts = raw.split("\t", 3)
        if len(parts) < 3:
            raise RegistryError(
                located(path, lineno, "expected NAME<TAB>PORT/PROTOCOL<TAB>FREQUENCY")
            )
        name, port_proto, freq_text = parts[0].strip(), parts[1].strip(), parts[2].strip()
        if not name:
            raise RegistryError(located(path, lineno, "missing service name"))
        port, transport = _parse_port_proto(path, lineno, port_proto)
        try:
            frequency = float(freq_text)
        except ValueError:
            frequency = math.nan
        if not 0.0 <= frequency <= 1.0:  # also rejects nan
            raise RegistryError(
                located(path, lineno, f"frequency {freq_text!r} is not a number in 0-1")
            )
        comment = parts[3].strip() if len(parts) > 3 else ""
        if comment.startswith("#"):
            comment = comment[1:].lstrip(" ")
        entries.append(NmapEntry(name, port, transport, frequency, comment.rstrip(), lineno))
    return entries


_SNIFF_BYTES = 64 * 1024
_SNIFF_LINES = 5
_NMAP_LINE = re.compile(r"[^\s#]+\t\d+/[A-Za-z]+\t\d*\.?\d+(?:[eE][-+]?\d+)?(?:\t.*)?")
_SERVICES_LINE = re.compile(r"[^\s#]+[ \t]+\d+/[A-Za-z]+(?:[ \t#].*)?")


def detect_format(path: str | Path) -> str:
    """Let `import` take any registry file without a format flag, by sniffing its first records."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError as exc:
        message = f"cannot read file: {exc.strerror or exc}"
        raise RegistryError(located(path, None, message)) from exc
    lines = _split_lines(_decode_lenient(head))
    if len(head) == _SNIFF_BYTES and len(lines) > 1:
        lines.pop()  # probably cut mid-line
    records = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    sample = records[:_SNIFF_LINES]
    if sample:
        if sample[0].startswith(",".join(IANA_HEADER[:_IANA_USED_COLUMNS])):
            return "iana-csv"
        if all(_NMAP_LINE.fullmatch(line.rstrip()) for line in sample):
            return "nmap-services"
        if all(_SERVICES_LINE.fullmatch(line.rstrip()) for line in sample):
            return "services"
    raise RegistryError(located(path, None, "not a recognised registry file"))


@dataclass(frozen=True)
class NumberEntry:
    """One row of an IANA numbers registry (IP protocol numbers, ICMP types, ICMP codes): a number, its keyword
    where the registry gives one, and its name."""

    number: int
    keyword: str
    name: str
    line: int

    @property
    def assigned(self) -> bool:
        """Unassigned, reserved, experimental and deprecated rows teach nothing a candidate is asked."""
        lower = self.name.casefold()
        return not any(w in lower for w in ("unassigned", "reserved", "deprecated", "experiment"))


def _numbers_csv(path: str | Path, number_col: str, name_col: str, keyword_col: str | None) -> list[NumberEntry]:
    """Rows with a single number (ranges such as `146-252` are unassigned blocks), fields unwrapped: IANA's
    exports wrap long names over lines inside quotes."""
    path = Path(path)
    text = _decode_utf8(path, _read_bytes(path))
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in (number_col, name_col, keyword_col) if c and c not in (reader.fieldnames or [])]
    if missing:
        raise RegistryError(located(path, 1, f"not an IANA numbers registry: no `{missing[0]}` column"))
    out = []
    for row in reader:
        raw = (row.get(number_col) or "").strip()
        if not (raw.isascii() and raw.isdigit()):
            continue
        name = re.sub(r"\s+", " ", row.get(name_col) or "").strip()
        keyword = re.sub(r"\s+", " ", row.get(keyword_col) or "").strip() if keyword_col else ""
        out.append(NumberEntry(int(raw), keyword, name, reader.line_num))
    return out


def parse_protocol_numbers(path: str | Path) -> list[NumberEntry]:
    """IANA's Assigned Internet Protocol Numbers (protocol-numbers-1.csv): 1 ICMP, 6 TCP, 17 UDP, 47 GRE, ..."""
    return _numbers_csv(path, "Decimal", "Protocol", "Keyword")


def parse_icmp_types(path: str | Path) -> list[NumberEntry]:
    """IANA's ICMP type numbers (icmp-parameters-types.csv): 0 Echo Reply, 8 Echo Request, ..."""
    return _numbers_csv(path, "Type", "Name", None)


def parse_icmp_codes(path: str | Path) -> list[NumberEntry]:
    """IANA's codes of one ICMP type (icmp-parameters-codes-3.csv: Destination Unreachable's)."""
    return _numbers_csv(path, "Codes", "Description", None)

"""The program grades: read the typed answer once, check it, name what it was instead, suggest an FSRS rating."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from trainer.cards import CardSpec, port_list
from trainer.deck import Kind
from trainer.scheduler import Rating

if TYPE_CHECKING:
    from trainer.answers import DeckAnswers
    from trainer.deck import Fact

FAST_SECONDS = 6.0
SLOW_SECONDS = 20.0
SLOW_FLOOR = 10.0  # never slow under this, however quick the learner's usual (1.7 s made 3.4 s a Hard)
TYPO_MIN_LETTERS = 5


@dataclass(frozen=True)
class Verdict:
    """What an answer was worth, and what it was instead when wrong (another fact's answer, part of this one)."""

    correct: bool
    typo: bool
    rating: int
    answer: str
    owner: Fact | None = None  # the other fact whose right answer this wrong one is
    partial: str | None = None  # "Partly: 21 is right; the answer has 2 ports."


_TOKEN = re.compile(r"[^\W_]+")  # a word or a number of an answer, as every reading splits it
_IGNORED = "-_.,;:!?'\"`()[]/"  # punctuation learners vary on; spacing too
_CONTROL = "".join(map(chr, range(32))) + "\x7f"  # ASCII's invisible characters (Unicode category Cc)
_ASCII_PLAIN = str.maketrans("", "", _CONTROL)
_ASCII_NORMAL = str.maketrans("", "", _CONTROL + " " + _IGNORED)
_NORMAL_DROP = re.compile(rf"[\s{re.escape(_IGNORED)}]+")


def _plain(text: str) -> str:
    """Unicode forms, case and invisible characters never decide an answer."""
    if text.isascii():  # the same, without a look at each character: NFKC leaves ASCII as it is
        return text.lower().translate(_ASCII_PLAIN)
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf"))


def normalise(text: str) -> str:
    """Case, spacing and punctuation that learners vary on are ignored: `MS-SQL-S` == `ms sql s`."""
    if text.isascii():
        return text.lower().translate(_ASCII_NORMAL)
    return _NORMAL_DROP.sub("", _plain(text))


# ---- port answers ---------------------------------------------------------------------------------------

_TRANSPORT_PHRASES = (("transmission control protocol", " tcp "), ("user datagram protocol", " udp "))
# Words that turn what follows into what the answer is not, and those that also turn what comes before
# (`TCP is not used`, `TCP never`).
_NEGATIONS = frozenset("no not never without isn isnt doesn doesnt don dont nor instead rather than unlike".split())
_NEGATED_AFTER = frozenset("never isn isnt doesn doesnt wasn aren".split())


def _transports_spelled(text: str) -> tuple[str, bool]:
    """`Usre Datagram Protocol` -> `udp`: a transport's full name one letter off is that transport, with a slip."""
    words = list(_TOKEN.finditer(_plain(text)))
    out, slipped = _plain(text), False
    for i in range(len(words) - 3, -1, -1):  # from the end, so the spans before stay where they are
        window = "".join(w[0] for w in words[i:i + 3])
        for phrase, short in _TRANSPORT_PHRASES:
            joined = phrase.replace(" ", "")
            if window != joined and within_one_edit(joined, window):
                out, slipped = out[:words[i].start()] + short + out[words[i + 2].end():], True
    return (out, True) if slipped else (text, False)


def _negated_after(after: list[str]) -> bool:
    """`TCP is not used`, `TCP isn't`, `TCP never`: but `UDP not TCP` negates TCP, not UDP."""
    if _NEGATED_AFTER.intersection(after):
        return True
    if "not" not in after:
        return False
    at = after.index("not")
    return bool({"is", "are", "was", "does", "do"} & set(after[:at])) or after[at + 1:at + 2] == ["used"]

# Words that may surround ports in an answer without changing it: `port 443.`, `the same ports`, `20 and 21`.
_PORT_FILLER = frozenset(
    "port ports number numbers the a on over is are it its uses use using used via and or both also by default "
    "same as with plus only just for at i think s".split()
)
_NUMBER = r"\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:-\d+)?"  # `1,433` (a thousands separator, maybe), `443`, `137-139`
_PORT_TOKEN = re.compile(rf"(?<![^\W\d_])({_NUMBER})|([^\W\d_][\w+\-]*)", re.UNICODE)
_SEPARATORS = r"[\s,;&+/\-]*"
_TRANSPORT_WORDS = ("tcp", "udp", "sctp", "dccp")
_MAX_RANGE = 64


@dataclass(frozen=True)
class PortAnswer:
    """One reading of a port answer: the ports, the transports it names, and the rest of what was typed."""

    ports: frozenset[int]
    transports: frozenset[str]
    rest: str  # the answer without its ports and transports: `(SSH)`, `(LDAP over SSL)`, `the same`
    same: bool = False  # "the same ports": right when a service is its own secure version


def _port_text(text: str) -> str:
    t = _plain(text)
    t = re.sub("[\u2010-\u2015\u2212]", "-", t)  # dashes people paste
    t = re.sub(r"\b(https?)/(\d)\b", r"\1\2", t)  # `HTTP/3` is a name, not port 3
    t = re.sub(r"\d+(?:\.\d+)+", " ", t)  # `TLS 1.3`, `SNMP 2.0`: versions are never ports
    t = re.sub(r"\brfcs?\s*\d+", " ", t)  # `6514 (RFC 5425)`: a document, not a port
    t = re.sub(r"(?<![\w:]):\d+\b", " ", t)  # `(display :0)`: an X display or a screen, not a port
    for phrase, short in _TRANSPORT_PHRASES:
        t = t.replace(phrase, short)
    t = re.sub(r"(\d)\s*-\s*(\d)", r"\1-\2", t)  # `20 - 21`
    return re.sub(r"(\d)\s+(?:to|through|thru)\s+(\d)", r"\1-\2", t)  # `137 to 139`


def _may_be_version(number: str, marked: bool) -> bool:
    """A number beside a name is its version when it is one digit, a year, or marked (`v12`, `version 12`);
    anything else is a port (`RDP 7777` is not RDP version 7777)."""
    return marked or len(number) == 1 or bool(re.fullmatch(r"(?:19|20)\d\d", number))


def _version_numbers(text: str) -> str:
    """`Kerberos 5`, `SNMP version 3`, `SQL Server 2019`: one digit, or a year, right after a name (not after
    `port`, a transport or `and`) may be the name's version; the second reading of a port answer takes it so.
    `DNS 853, 53` is two ports, never DNS version 853."""
    keep = _PORT_FILLER | set(_TRANSPORT_WORDS)

    def version(m: re.Match[str]) -> str:
        word, space, number = m.groups()
        if word in keep or not _may_be_version(number, word in ("v", "ver", "version")):
            return m.group(0)
        return f"{word}{space}v{number}"

    return re.sub(r"\b([^\W\d_][\w+\-]*)(\s+)(\d{1,4})\b(?!\s*-\s*\d)", version, text)


def read_ports(text: str) -> list[PortAnswer]:
    """Every sensible reading of a port answer, best first; empty when it holds no port.

    `20, 21`, `20/21`, `21 and 20`, `137-139`, `20 - 21`, `443.`, `445(tcp)`, `80 (TCP)`, `22 (SSH)`. A comma
    before three digits may be a thousands separator (`1,433`), and a number after a name may be its version
    (`88 (Kerberos 5)`): those are further readings.
    """
    text = _port_text(text)
    readings = _read_ports(text)
    versioned = _version_numbers(text)
    return readings + (_read_ports(versioned) if versioned != text else [])


def _read_ports(text: str) -> list[PortAnswer]:
    if any(m.group(1) not in _TRANSPORT_WORDS and not re.fullmatch(r"v\d+", m.group(0))
           for m in re.finditer(r"(?<![^\W\d_])\d+([^\W\d_]+)", text)):
        return []  # `21x` is not a port
    as_list: set[int] = set()
    as_thousands: set[int] = set()
    transports: set[str] = set()
    same = ambiguous = False
    before: list[str] = []
    for number, word in _PORT_TOKEN.findall(text):
        if word:
            w = word.strip("-")
            if w in _TRANSPORT_WORDS:
                transports.add(w)
            same = same or (w == "same" and not _NEGATIONS.intersection(before[-3:]))  # `not the same ports`
            before.append(w)
            continue
        token: set[int] = set()
        for part in number.split(","):
            got = _port_range(part)
            if got is None:
                return []
            token.update(got)
        as_list.update(token)
        if "," in number:
            ambiguous = True
            as_thousands.add(int(number.replace(",", "")))
        else:
            as_thousands.update(token)
    rest = re.sub(rf"{_SEPARATORS}(?<![^\W\d_])(?:{_NUMBER}){_SEPARATORS}", " ", text)
    rest = re.sub(r"\b(?:tcp|udp|sctp|dccp)\b(?!/ip)", " ", rest)
    readings = []
    for ports in (as_list, as_thousands) if ambiguous else (as_list,):
        if (ports or same) and max(ports, default=0) <= 65535:
            readings.append(PortAnswer(frozenset(ports), frozenset(transports), rest.strip(), same))
    return readings


def _port_range(token: str) -> set[int] | None:
    m = re.fullmatch(r"(\d{1,5})(?:-(\d{1,5}))?", token)
    if not m:
        return None
    lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
    if hi < lo or hi - lo > _MAX_RANGE or hi > 65535:
        return None
    return set(range(lo, hi + 1))


def parse_port_answer(text: str) -> frozenset[int] | None:
    """The ports of the first reading, or None when the answer holds no port."""
    readings = read_ports(text)
    return readings[0].ports if readings and readings[0].ports else None


def _port_reading_right(card: CardSpec, r: PortAnswer, known: Container[str]) -> bool:
    if not (r.ports in card.port_sets or (r.same and not r.ports and card.same)):
        return False
    if not r.transports <= set(card.transports or ("tcp", "udp")):
        return False
    names = dict(card.set_names).get(r.ports, card.answers) if r.ports else card.answers
    return judge_names(r.rest, names, known, beside=True) is not False


# ---- transport and range answers ------------------------------------------------------------------------



_VERBS = frozenset("uses use is runs run".split())
_BOTH = ("both", "either")


def read_transport(text: str, others: Container[str] = (), own: str = "") -> str | None:
    """`TCP`, `udp only`, `TCP & UDP`, `TCP/UDP`, `both TCP and UDP`, `User Datagram Protocol`, `UDP (connectionless)`,
    `UDP, no TCP`, `UDP rather than TCP`, `UDP (TCP is not used)`, `UDP, and TCP for zone transfers` -> tcp, udp,
    both; None when no transport (or another one, such as SCTP) is named. A transport that is negated, or that a
    later clause gives to another service (`UDP (TACACS+ uses TCP)`: `others` names services, the question's
    `own` are not others), does not count; `both` counts beside a named transport only next to one
    (`UDP, on both 67 and 68` is UDP)."""
    t = re.sub(r"\bnot (?:only|just)\b", " ", _plain(text))  # `not only UDP but also TCP`
    t = re.sub(r"\budp[\s_-]*lite\b", " udplite ", t)  # UDP-Lite is IP protocol 136 (RFC 3828), not UDP
    for phrase, short in _TRANSPORT_PHRASES:
        t = t.replace(phrase, short)
    own_words = set(_TOKEN.findall(_plain(own)))
    named: set[str] = set()
    both = bare_both = first_seen = False
    for clause in re.split(r"[,;()\[\]:]|\bbut\b|\bwhile\b|\bwhereas\b", t):
        words = _TOKEN.findall(clause)
        if named and words and words[0] in others and words[0] not in own_words and _VERBS.intersection(words):
            continue  # `(FTP is the TCP one)`: another service's transport
        for i, word in enumerate(words):
            if word in ("sctp", "dccp", "quic", "icmp", "udplite") and \
                    not _NEGATIONS.intersection(words[max(0, i - 4):i]):
                return None
            negated = _NEGATIONS.intersection(words[max(0, i - 4):i]) or _negated_after(words[i + 1:i + 4])
            if word in ("tcp", "udp") and not negated:
                named.add(word)
            elif word in _BOTH and not negated:
                if {"tcp", "udp"} & {words[j] for j in (i - 1, i + 1) if 0 <= j < len(words)}:
                    both = True  # `both TCP and UDP`, `TCP and UDP both`
                elif not named and not first_seen:
                    both = True  # `both, UDP usually`
                else:
                    bare_both = True  # `UDP, on both 67 and 68`
            first_seen = first_seen or word in ("tcp", "udp", *_BOTH)
    if both or (bare_both and not named):
        named.update(("tcp", "udp"))
    return "both" if named == {"tcp", "udp"} else next(iter(named)) if named else None


RANGE_WORDS = {
    "wellknown": "well-known", "system": "well-known", "privileged": "well-known",
    "registered": "registered", "user": "registered",
    "dynamic": "dynamic", "private": "dynamic", "ephemeral": "dynamic",
}
RANGE_BOUNDS = {"well-known": {"0", "1023"}, "registered": {"1024", "49151"}, "dynamic": {"49152", "65535"}}
_RANGE_FILLER = frozenset("port ports range a an the and or it is its one number numbers s to through thru in "
                          "both are they all within from".split())


_RANGE_NEGATIONS = _NEGATIONS | {"non", "un", "de"}  # `non-registered`, `un-registered`


def _bounds_agree(text: str, cls: str, asked: tuple[int, ...] = ()) -> bool:
    """Every number beside the class is one of its bounds, or the port either side of them, on the side a word
    before it says: `above 1023` and `below 49152` are registered, `below 1024` and `above 49151` are not."""
    lo, hi = sorted(int(b) for b in RANGE_BOUNDS[cls])
    text = re.sub(r"\brfc\s*\d+", " ", text)  # `(RFC 6335)` cites, it does not bound
    for m in re.finditer(r"(?:\b(above|over|after|from|starting at|starts at|below|under|before|until|up to)\s+)?"
                         r"(\d+)", text):
        word, n = m[1], int(m[2])
        if n in asked and not word:
            continue  # the question's own port (`3389 > 1023`)
        if n not in (lo - 1, lo, hi, hi + 1):
            return False
        if word in ("above", "over", "after") and n != lo - 1 or word in ("from", "starting at", "starts at") and \
                n != lo or word in ("below", "under", "before") and n != hi + 1 or word in ("until", "up to") and \
                n != hi:
            return False
    return True


def read_range(text: str, asked: tuple[int, ...] = ()) -> tuple[str | None, bool]:
    """RFC 6335's terms (System, User, Dynamic and/or Private) and the common ones (well-known, registered,
    ephemeral) -> (well-known, registered or dynamic; whether a word had a one-letter slip). Words around the
    class only explain (`registered, above 1023`, `registered (not ephemeral)`); two classes, or bounds that
    are not the class's own (`registered (0-1023)`), read as None."""
    t = re.sub(r"well[\s\-_]*known", "wellknown", _plain(text))
    t = re.sub(r"(\d),(\d{3})\b", r"\1\2", t)  # `49,151`
    classes: set[str] = set()
    denied: set[str] = set()  # `System, not well-known` denies what it names
    typo = False
    words = _TOKEN.findall(t)
    for i, word in enumerate(words):
        if word.isdigit() or word in _RANGE_FILLER:
            continue
        negated = _RANGE_NEGATIONS.intersection(words[max(0, i - 3):i])
        unprefixed = re.sub(r"^(?:non|un|de)(?=registered|reserved|privileged|assigned)", "", word)
        if unprefixed != word and unprefixed in RANGE_WORDS:  # `unregistered`, `nonprivileged`
            denied.add(RANGE_WORDS[unprefixed])
            continue
        if word in RANGE_WORDS:
            (denied if negated else classes).add(RANGE_WORDS[word])
            continue
        near = [c for w, c in RANGE_WORDS.items() if len(w) >= TYPO_MIN_LETTERS and within_one_edit(w, word)]
        if near and not negated:
            classes.add(near[0])
            typo = True
    pairs = re.findall(r"(\d+)\s*(?:-|to|through|thru|and|up to)\s*(\d+)", t)
    if not classes and len(pairs) == 1:  # `1024-49151`: the bounds alone name their class
        classes = {c for c, b in RANGE_BOUNDS.items() if set(pairs[0]) == b}
    if len(classes) != 1 or classes & denied:
        return None, False
    cls = next(iter(classes))
    if not _bounds_agree(t, cls, asked):
        return None, False  # `registered (below 1024)`, `registered, i.e. above 49151`
    for lo, hi in pairs:
        if {lo, hi} != RANGE_BOUNDS[cls]:
            return None, False  # `registered (1024-65535)`
    return cls, typo


# ---- names and prose ------------------------------------------------------------------------------------

def _groups(text: str) -> list[str]:
    """`SMTPS (Simple Mail Transfer Protocol Secure)`, `SSH and SFTP`, `587 (SMTPS) or 465 (...)`, `IMAP - mail on
    server`, `IMAP: mail stays` -> the names given."""
    return [g for g in re.split(r"[()\[\]|,;&]|:\s|\s[-\u2013\u2014]+\s|\s+(?:or|and|aka)\s+", text) if normalise(g)]


_SLASH = re.compile(r"(?<!tcp)/(?!ip)")


def _one_name_right(text: str, names: Container[str]) -> bool:
    """One name: as typed, or each side of a slash (`SSH/SFTP`), or either word across one (`HTTP over TLS/SSL`)."""
    if normalise(text) in names:
        return True
    sides = _slash_sides(text)
    if len(sides) > 1 and all(normalise(x) in names for x in _versions_spelled_out(sides)):
        return True
    m = re.search(r"(\S+?)(?<!tcp)/(?!ip)(\S+)", text)
    if not m:
        return False
    variants = [text[: m.start()] + side + text[m.end():] for side in (m.group(1), m.group(2))]
    return all(normalise(v) in names for v in variants)


def _slash_sides(text: str) -> list[str]:
    """The names either side of each slash (`SSH/SFTP`); `TCP/IP` is one name."""
    return [x for x in _SLASH.split(text) if normalise(x)]


def _versions_spelled_out(sides: list[str]) -> list[str]:
    """`SNMPv1/v2c/v3` -> SNMPv1, SNMPv2c, SNMPv3: a bare version after a slash belongs to the name before it."""
    m = re.match(r"^(.*?[^\W\d_])[\s\-]*v?\d", sides[0].strip())
    if not m:
        return sides
    base = m.group(1)
    return [sides[0]] + [base + s.strip() if re.fullmatch(r"v?\d[\w.]*", s.strip()) else s for s in sides[1:]]


# How people write the same name: `HTTP with TLS` = `HTTP over TLS` = `HTTP + TLS`; spelled-out acronyms.
_SAME_WORDS = ((r"(?<=\w)\s*\+\s*(?=\w)|\s+(?:with|via|using|on top of|over)\s+", " over "),
               (r"\s+for\s+ipv(\d)\b|\s*\(\s*ipv(\d)\s*\)", r"v\1\2"),  # `DHCP for IPv6` is DHCPv6
               (r"\bsecure sockets? layer\b", "ssl"), (r"\btransport layer security\b", "tls"),
               (r"\b(tun+)ell", r"\1el"), (r"\bconfig\b", "configuration"))  # British; `tunelling` a slip
# Words around a name that name nothing: `it's SSH`, `I think Telnet`, `DNS server`, `SSH protocol`.
_NAME_FILLER = frozenset("it its is s the a an i think maybe probably that this called named uses use used for "
                         "port ports on protocol service server daemon".split())
_GENERIC = frozenset("protocol over service".split())
_VERSION = re.compile(r"^(.*?[^\W\d_])[\s\-/]*(?:v|ver|version\s*)?(\d+)(?:\.\d+)*[a-z]?$")


def _name_text(text: str) -> str:
    t = _plain(text)
    for pattern, same in _SAME_WORDS:
        t = re.sub(pattern, same, t)
    return re.sub(r"\s+", " ", t).strip()


def _trim(text: str, filler: frozenset[str] = _NAME_FILLER) -> str:
    """The name without filler words around it."""
    words = re.split(r"(\W+)", text)
    tokens = [w for w in words if w]
    while tokens and (not re.search(r"\w", tokens[0]) or tokens[0] in filler or tokens[0] == "over"):
        tokens.pop(0)  # `80 over QUIC`: the rest is `over QUIC`
    while tokens and (not re.search(r"\w", tokens[-1]) or tokens[-1] in filler):
        if re.search(r"[)\]]", tokens[-1]) and not re.match(r"\W*[(\[]", text):
            break  # a note in brackets ends the answer: its words are the note's (`PTP (Precision Time Protocol)`)
        if len(tokens) > 1 and re.search(r"\w", tokens[-1]) and re.search(r"[\\/]", tokens[-2]):
            break  # a path's last part (`...\etc\protocol` is not the folder `...\etc`)
        tokens.pop()
    return "".join(tokens).strip()


def _words(text: str) -> set[str]:
    return {w for w in _TOKEN.findall(text) if w not in _NAME_FILLER and w not in _GENERIC}


@dataclass(frozen=True)
class _Names:
    whole: frozenset[str]  # each accepted name, normalised the way answers are
    words: tuple[frozenset[str], ...]  # the significant words of each accepted name
    all_words: frozenset[str]  # every word of them: made once per card, asked of every word of an answer

    @classmethod
    def of(cls, accepted: Iterable[str]) -> _Names:
        texts = [_name_text(a) for a in accepted if a]
        words = tuple(frozenset(_words(t)) for t in texts)
        return cls(frozenset(normalise(t) for t in texts), words, frozenset().union(*words))


# Words that may stand beside a name without naming anything else (`Microsoft Remote Desktop`, `the Windows SMB
# service`); any other word makes the answer something else (`Oracle SQL`, `SQL injection`, `Secure Shell Banana`).
_DESCRIBING = frozenset("microsoft ms windows linux unix apple cisco internet remote network networking system systems "
                        "standard software engine database db client clients version new old plain unencrypted "
                        "insecure cleartext web mail email file files and via implicit explicit resolver resolvers "
                        "resolution lookup lookups config configuration backup backups direct host ad active "
                        "controller 802 1x wireless vpn auth authentication login logins accounting kdc ticket "
                        "tickets device devices admin administration monitoring management".split())
# Plain words some registry gives a service (Debian's `mail` for SMTP): beside an answer they only describe it
# (`IMAP (mail on server)`), never name another service.
_PLAIN_WORDS = frozenset("mail email web domain time file files news printer printing login directory database "
                         "remote voice video chat".split())
# Words that say an answer is secure: never right for a service that is not (`Secure FTP` is not FTP).
_SECURE_WORDS = frozenset("secure secured encrypted ssl tls".split())
_TRANSPORT_NAMES = frozenset({"tcp", "udp", "tcpip", "tcpudp", "udptcp"})
# Words that set a name against the answer (`FTPS, not SFTP`, `SSH (replaced Telnet)`): that part names nothing.
_CONTRAST = _NEGATIONS | frozenset("vs versus replaced replaces replacing successor predecessor formerly".split())


@lru_cache(maxsize=256)
def _names_of(accepted: tuple[str, ...]) -> _Names:
    """A card's accepted names, prepared once per card and not once per answer checked against them
    (multiple choice checks every option: 4,000 names on one port made that quadratic)."""
    return _Names.of(accepted)


def judge_names(text: str, accepted: Iterable[str], known: Container[str] = (), beside: bool = False) -> bool | None:
    """Does `text` name the right service (True), another one (False), or nothing known (None)?

    Right: an accepted name as typed or spelled another usual way (`HTTP with TLS`), with a version
    (`SSHv2`, `SNMP version 3`), with words around it that name nothing (`it's SSH`, `DNS server`,
    `SMTP (email)`), or several names that all are (`SSH/SFTP`, `X (Y)`); a part set against the answer
    (`IMAP (not IMAPS)`) names nothing. Wrong: anything naming something else, even beside a right one
    (`LDAP over SSL` for 389, `SQL Server Browser` for 1433), another version (`POP2`), or `secure` for a
    service that is not. `beside`: the words beside a port answer, which only annotate it."""
    names = _names_of(tuple(accepted))
    strong = getattr(known, "strong", known)
    deck: Container[str] = getattr(known, "deck_names", ())
    labels = _Without(getattr(known, "labels", ()), (names.whole, names.all_words, _TRANSPORT_NAMES))
    plain = getattr(known, "plain", ())
    others = _Without(deck, (_TRANSPORT_NAMES, names.whole))
    return _judge(_name_text(text), names, _Known(known, strong, labels, others, plain), beside)


@dataclass(frozen=True)
class _Without:
    """The names of `base` that are in none of `minus`: asked name by name, as a deck of 12,000 names copied
    less a few at every answer cost more than the rest of grading."""

    base: Container[str]
    minus: tuple[Container[str], ...]

    def __contains__(self, name: object) -> bool:
        return name in self.base and not any(name in m for m in self.minus)


@dataclass(frozen=True)
class _Known:
    every: Container[str]  # every name that means something (registries, decks, terms)
    strong: Container[str]  # the deck's names and the curated terms: never plain words
    labels: Container[str]  # the names other facts of the deck go by (`telnet`, `ftp`): wrong anywhere
    others: Container[str]  # every name of the deck's other facts: never a qualifier (`993 (IMAP)` for IMAPS)
    plain: Container[str] = ()  # words that describe a service (IANA's descriptions): `control`, `accounting`


def _judge(text: str, names: _Names, known: _Known, beside: bool = False) -> bool | None:
    """`beside`: a part of a longer answer, where a word of the right name is a qualifier (IKE (IPsec))."""
    n = normalise(text)
    if not n:
        return None
    if n in names.whole or _one_name_right(text, names.whole):
        return True
    if beside and n in _TRANSPORT_NAMES:
        return None  # `Syslog (UDP)`: beside a name, a transport is said of it, not a protocol number's fact
    if _another_name(n, names, known, beside) and not _not_another(text, n, names, known):
        return False
    trimmed = _trim(text)
    t = normalise(trimmed)
    if t in names.whole or (trimmed != text and _one_name_right(trimmed, names.whole)):
        return True
    if _another_name(t, names, known, beside) and not _not_another(text, n, names, known):
        return False
    sides = _slash_sides(trimmed)
    if len(sides) > 1 and all(_judge(x.strip(), names, known, beside) is True for x in _versions_spelled_out(sides)):
        return True  # `SMB 2/3`, `SNMPv1/v2c/v3`
    if _noted_inside(trimmed):  # a note in the middle of a name: `Secure Shell (SSH) Banana` is `Secure Shell
        outside = _NOTE.sub(" ", trimmed).strip()  # Banana`, judged as such
        return _judge(outside, names, known, beside) if outside else None
    groups = _groups(trimmed)
    if len(groups) > 1:  # a part that is a plain word in some registry (`auth`, `name`) only explains
        part = _Known(known.strong, known.strong, known.labels, known.others, known.plain)
        verdicts = [_judge(g.strip(), names, part, beside=True) for g in groups]
        return _parts_verdict([False if v is not True and _expands_to(g, names) else v  # a wrong expansion
                               for g, v in zip(groups, verdicts, strict=True)], trimmed)
    return _judge_one(trimmed, names, known, beside)


def _judge_one(text: str, names: _Names, known: _Known, beside: bool) -> bool | None:
    """One part that is not a name as typed: by its version (`SSHv2`), or by its words."""
    words = _words(text)
    if words & _CONTRAST:
        return None
    if words & _SECURE_WORDS and not names.all_words & _SECURE_WORDS:
        return False
    version = _version_right(text, names, known.every)
    if version is not None:
        return version
    return _judge_words(words, names, known, beside)


_NOTE = re.compile(r"\s*[(\[][^()\[\]]*[)\]]\s*")  # a note in brackets


def _noted_inside(text: str) -> bool:
    """A name with a note in brackets and more of the name after it (`Structured Query Language (SQL) Server`)."""
    return bool(_NOTE.search(text)) and not re.search(r"[)\]]\s*$", text) and bool(_NOTE.sub("", text).strip())


def _expands_to(part: str, names: _Names) -> bool:
    """Words whose initials spell one of the card's short names (`Precision Time Protocol` for PTP, which IANA's 123
    is as Performance Transparency Protocol): an expansion, and not one the card accepts, so another thing."""
    words = [w for w in re.findall(r"[^\W\d_]+", _plain(part)) if w not in ("of", "and", "for", "the", "to", "over")]
    return len(words) > 1 and "".join(w[0] for w in words) in names.whole


def _parts_verdict(verdicts: list[bool | None], text: str) -> bool | None:
    """Wrong if a part names something else; alternatives (`rlogin or Telnet`, `SQL Server or SQL Browser`) are
    right only if each is; else right if a part is."""
    if True in verdicts and re.search(r"\s+or\s+", text) and not all(v is True for v in verdicts):
        return False
    return False if False in verdicts else True if True in verdicts else None


def _not_another(text: str, n: str, names: _Names, known: _Known) -> bool:
    """Why an answer whose letters (`n`) run into another known name still does not name it: a slip of several
    words that lands on a daemon's name (`SQL Servr`: sqlservr), the right name and a word that only make one
    joined (`VNC server`), or parts written apart (`(SQL Server) (browser)`)
    that are judged one by one. Asked only when the answer's letters are another name."""
    curated = getattr(known.every, "only_curated", None)
    if " " in text.strip() and curated is not None and curated(n) and (
            is_typo(n, names.whole) or _name_and_filler(text, names)):
        return True  # ... or a name and a filler word, which only make a daemon's name joined (`VNC server`)
    return len(re.split(r"[()\[\],;|&]", text)) > 1 and len(_groups(text)) > 1


def _name_and_filler(text: str, names: _Names) -> bool:
    """One of the card's names and words that name nothing (`VNC server`, `SSH daemon`)."""
    words = [normalise(w) for w in text.split()]
    right = [w for w in words if w in names.whole]
    return len(right) == 1 and all(w in names.whole or w in _NAME_FILLER for w in words)


def _another_name(name: str, names: _Names, known: _Known, beside: bool) -> bool:
    """A known name that is not this service's; beside an answer, a word of its name qualifies it (IKE (IPsec))
    unless another fact of the deck goes by it, and a plain word describes it (`(mail)`)."""
    if beside and name in _PLAIN_WORDS:
        return False
    return name in known.every and not (beside and name in names.all_words and name not in known.others)


def _version_right(text: str, names: _Names, every: Container[str]) -> bool | None:
    """`SSHv2`, `SNMP version 3`, `LDAPv2` name the protocol; `POP v2`, `IMAP version 3`, `DHCP version 6` name
    another one that has a name of its own (POP2, IMAP3, DHCPv6), and `IKEv3` (past the newest) none. The versions
    each protocol has had come with `every` (KnownNames.versions), when it knows them."""
    m = _VERSION.match(text)
    if not m or normalise(m.group(1)) not in names.whole:
        return None
    base, number = normalise(m.group(1)), m.group(2)
    marked = re.search(r"(?:(?<=[^\W\d_])v|\bv|\bver|\bversion)\s*\d+(?:\.\d+)*[a-z]?$", text, re.I)  # not serVER
    if not _may_be_version(number, bool(marked)):
        return False  # a port beside the name, and not the one asked
    had = getattr(every, "versions", {}).get(base)
    if had is not None and str(int(number)) not in had:
        return False  # `SSHv3`, `HTTP/4`, `FTPv2`: a version that never was (decks/src/versions.yaml)
    given = [int(v.group(1)) for w in names.whole if w.startswith(base)
             for v in [re.fullmatch(r"(?:v|ver|version)?(\d+)[a-z]?", w[len(base):])] if v]
    if given and int(number) > max(given):
        return False  # `IKEv3`, `SNMPv4`: no such version
    return not any(other in every and other not in names.whole
                   for other in (base + number, f"{base}v{number}", f"{base}version{number}"))


def _judge_words(words: set[str], names: _Names, known: _Known, beside: bool) -> bool | None:
    """A name inside words that name nothing else (`Microsoft Remote Desktop`, `network time server`). Beside a
    right answer, words only explain (`POP3 (mail retrieval)`) unless they name another of the deck's facts."""
    if not words:
        return None
    for name_words in names.words:
        if name_words and name_words <= words:
            extra = words - name_words
            if not any(_names_else(w, names, known) for w in extra) and all(_describes(w, names, known) for w in extra):
                return True
    if any(w in known.labels for w in words):
        return False
    if beside:
        return None
    return False if any(_names_else(w, names, known) for w in words) else None


def _names_else(word: str, names: _Names, known: _Known) -> bool:
    """A word that always names something (the deck's names, the curated terms) and not this service."""
    return (word in known.strong and word not in names.all_words and word not in _PLAIN_WORDS
            and word not in _TRANSPORT_NAMES)


def _describes(word: str, names: _Names, known: _Known) -> bool:
    """A word that may stand beside the service's name and only describe it (`Microsoft`, `accounting`)."""
    return (word in _DESCRIBING or word in _PLAIN_WORDS or word in names.all_words or word in _TRANSPORT_WORDS
            or word == "ip" or word in known.plain or word.removesuffix("s") in known.plain)


def name_right(given: str, accepted: Iterable[str], question: str = "", note: str = "") -> bool:
    """A front/back answer: an accepted answer as typed, with words that name nothing around it (`it is
    unicast`, `the ss utility`), numbers in words or digits (`four minutes`), in another notation of the same
    address (`ff02:0:0:0:0:0:0:1`), or several parts that all are (`X (Y)`, `A/B`), leaving out a part set against
    the answer (`UDP, not TCP`) and a note in brackets that repeats a gloss of the `question` (`0-1023 (well-known)`
    for the System (well-known) Ports). Alternatives (`TCP or UDP`) are right only if each is. A yes/no card is
    answered by its first word, and what follows may only say what the card says (`yes, it uses a three-way
    handshake`, not `yes, like UDP`)."""
    accepted = tuple(accepted)
    if _TAKEN_BACK.search(_plain(given)):
        return False
    yes_no = _yes_no_right(given, accepted, note)
    if yes_no is not None:
        return yes_no
    names = {normalise(_spelled(a)) for a in accepted}
    given = _spelled(given)
    if not normalise(given):
        return False
    if normalise(given) in names:
        return True
    if accepted and accepted[0].startswith("-"):  # an option card: `ss -l` names the option with its command
        given = re.sub(r"^\s*([a-z]+)\s+(?=-)", lambda m: "" if re.search(rf"\b{m[1]}\b", question, re.I)
                       else m[0], given)
    filler = _FRONT_BACK_FILLER | _subject_words(question, accepted)
    notes = re.findall(r"[(\[]([^()\[\]]*)[)\]]", given)

    def trim(text: str) -> str:  # filler never swallows a note in brackets: `-p (port)` is not `-p`
        trimmed = _trim(text, filler)
        return trimmed if all(n in trimmed for n in notes if n in text) else text

    if normalise(given) in names or normalise(trim(given)) in names:
        return True

    def right(text: str) -> bool:
        return _one_name_right(text, names) or _same_address(text, accepted)

    groups = _groups(given)
    if len(groups) > 1:
        said = [g for g in groups if right(g) or right(trim(g))]
        rest = [g for g in groups if g not in said]
        if rest and re.search(r"\s+or\s+", given):
            return False  # a hedge: `broadcast or anycast`
        glosses = _glosses(question)
        notes_n = {normalise(x) for x in notes}
        return bool(said) and all(_contrasted(g) or (normalise(g) in notes_n and normalise(_trim(g)) in glosses)
                                  for g in rest)
    return right(given) or right(trim(given))


# Words around a front/back answer that name nothing: `in /etc/services`, `starts at 49152`, `the ss utility`.
_FRONT_BACK_FILLER = _NAME_FILLER | frozenset(
    "in at from utility tool command function file starts ends only show shows list lists display displays".split())


def _spelled(text: str) -> str:
    """A front/back answer as compared: plain, numbers in digits, `#` after a word for `number` (`sequence #`),
    without `the` (`the IP address and the port`) or a leading `sudo` (`sudo ss -tlnp` is the same command)."""
    text = _in_digits(_plain(text))
    text = re.sub(r"(?<=\w)\s*#(?!\s*\w)", " number", text)
    text = re.sub(r"^\s*sudo\s+(?=[^\W\d_])", "", text)  # a command after it: `sudo -p` is sudo's option
    return re.sub(r"\bthe\s+(?=\S)", "", text)


# Words that open a part set against the answer (`UDP, not TCP`, `the client (not the server)`): _CONTRAST's, less the
# ones that also open a plain description (`(no application)`, `(without options)`).
_CONTRAST_LEAD = frozenset("not never unlike vs versus instead rather nor replaced replaces replacing formerly".split())
_YES_NO = {"yes": "yes", "true": "yes", "yep": "yes", "yeah": "yes", "yup": "yes", "correct": "yes", "no": "no",
           "false": "no", "nope": "no", "nah": "no", "neither": "no"}
_NUMERALS = {w: n for n, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split())} | {w: 10 * n for n, w in enumerate(
        "twenty thirty forty fifty sixty seventy eighty ninety".split(), start=2)}
_NUMERAL_WORD = "|".join([*_NUMERALS, "hundred", "thousand"])
_NUMBER_RUN = re.compile(rf"\b(?:(?:{_NUMERAL_WORD})(?:[\s-]+(?:and[\s-]+)?|\b))+")


def _in_digits(text: str) -> str:
    """`four minutes`, `one thousand`, `twenty-one` -> `4 minutes`, `1000`, `21`: learners write numbers both ways."""
    def value(m: re.Match[str]) -> str:
        total = part = 0
        for w in re.findall(r"[a-z]+", m.group(0)):
            if w in _NUMERALS:
                part += _NUMERALS[w]
            elif w == "hundred":
                part = max(part, 1) * 100
            elif w == "thousand":
                total, part = total + max(part, 1) * 1000, 0
        tail = m.group(0)[len(m.group(0).rstrip(" -")):]
        return f"{total + part}{tail}"

    return _NUMBER_RUN.sub(value, text)


def _yes_no_right(given: str, accepted: tuple[str, ...], note: str) -> bool | None:
    """A yes/no card (its back `yes` or `no`) is answered by the first word; what follows may only say what the card
    says (one of its other accepted answers, or words of its answers and note). None: not such a card, or an
    answer not opening with yes or no."""
    back = normalise(accepted[0]) if accepted else ""
    if back not in ("yes", "no"):
        return None
    m = re.match(r"\W*([^\W_]+)\W*(.*)$", _plain(given), re.S)
    said = _YES_NO.get(m[1]) if m else None
    if m is None or said is None:
        return None
    rest = m[2]
    if said != back or (set(_TOKEN.findall(rest)) & {"yes", "no"}):
        return False
    others = tuple(a for a in accepted[1:] if normalise(a) not in ("yes", "no"))
    if not normalise(rest) or name_right(rest, others):
        return True
    cited = re.sub(r"\b(?:RFC|sections?|§)\s*[\d.]+", " ", " ".join((note, *accepted)), flags=re.I)  # not content:
    # `section 2.2` would let `two-way` through
    return _stems(rest) - _NEUTRAL <= _stems(cited)  # nor the question's words: they may hold just
    # what the answer denies (`Does adding a line ... open anything?` `no, it opens the port` is wrong)


# Words of an explanation that neither name nor deny anything: `no, the service still has to listen`.
_NEUTRAL = frozenset("just still has have must need only simply actually be to".split())


def _stems(text: str) -> set[str]:
    """The words that say something, in one form: `ports`, `mapping`, `maps` -> port, map."""
    out = set()
    for w in _words(_spelled(text)):
        if len(w) > 5 and w.endswith("ing"):
            w = w[:-3]
            w = w[:-1] if len(w) > 2 and w[-1] == w[-2] else w
        elif len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        out.add(w)
    return out


def _glosses(question: str) -> set[str]:
    """What a question glosses in brackets, and the word glossed: `System (well-known) Ports` -> system, well-known.
    Not a list of options (`(unicast, multicast, anycast, broadcast)`)."""
    out = set()
    for m in re.finditer(r"([\w'-]+)\s*\(([^()]*)\)", question):
        if not re.search(r",|/|\bor\b", m[2]):
            out |= {normalise(m[1].removesuffix("'s")), normalise(m[2])}
    return out


def _subject_words(question: str, accepted: tuple[str, ...]) -> frozenset[str]:
    """The protocols the question is about, which a learner may repeat around the answer (`TCP three-way
    handshake` for TCP's handshake); none when the question offers a choice (`TCP or UDP?`), where a repeated
    name may be the other option. Only names in capitals: `header checksum` is IPv4's field, not UDP's checksum."""
    if not question or re.search(r"\bor\b", question, re.I):
        return frozenset()
    theirs = set().union(*(_words(_plain(a)) for a in accepted if a))
    return frozenset(w.lower() for w in re.findall(r"\b[A-Z][A-Z0-9]+\b", question)) - theirs


def _contrasted(part: str) -> bool:
    """A part set against the answer (`not TCP`, `unlike UDP`): it says what the answer is not."""
    words = _TOKEN.findall(part)
    return len(words) > 1 and words[0] in _CONTRAST_LEAD


def _same_address(given: str, accepted: Iterable[str]) -> bool:
    """An IP address or network written another way than an accepted one (`FF00:0:0:0:0:0:0:0/8` for `ff00::/8`):
    normalised text drops the colons, so the notations are compared as addresses."""
    mine = _address(given)
    return mine is not None and any(_address(a) == mine for a in accepted if ":" in a or "/" in a)


def _address(text: str) -> object | None:
    if ":" not in text and "/" not in text:
        return None
    import ipaddress

    text = text.strip()
    try:
        return ipaddress.ip_network(text) if "/" in text else ipaddress.ip_address(text)
    except ValueError:  # not an address, or a network with host bits set (`224.1.2.3/4` is no block)
        return None


def _list_items(text: str) -> list[str]:
    return sorted(p for p in (normalise(x) for x in re.split(r",|;|&|\n|\band\b", _plain(text))) if p)


def list_right(given: str, accepted: Iterable[str]) -> bool:
    """A list answer in any order, with or without `and`: `confidentiality, integrity and availability`."""
    items = _list_items(given)
    return len(items) > 1 and any(_list_items(a) == items for a in accepted)


def within_one_edit(a: str, b: str) -> bool:
    """True when b is a one-letter typo of a: one letter substituted, added, dropped or swapped.

    Digits never count as typos: `imap4` -> `imaps` and `pop3` -> `pop2` name other things.
    """
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return a[diff[0]].isalpha() and b[diff[0]].isalpha()
        return (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
                and a[diff[1]] == b[diff[0]] and a[diff[0]].isalpha() and a[diff[1]].isalpha())
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :] and long_[i].isalpha()


def _another_thing(a: str, b: str) -> bool:
    """An s for secure on a short name (`http`/`https`, `ldap`/`ldaps`) or a d for daemon (`httpd`, `fingerd`)
    turns one name into another thing, never a slip."""
    short, long_ = sorted((a, b), key=len)
    secure = long_ == short + "s" and len(short) <= 5 and not short.endswith("s")  # `smtpss` is only a slip
    return secure or long_ == short + "d"


def is_typo(given: str, accepted: Iterable[str], known: Container[str] = ()) -> bool:
    """One slip in a name of five letters or more, unless what was typed names something else."""
    if given in known:
        return False
    return any(len(a) >= TYPO_MIN_LETTERS and within_one_edit(a, given) and not _another_thing(a, given)
               for a in accepted)


# ---- the verdict ----------------------------------------------------------------------------------------

def check(card: CardSpec, answer: str, known: Container[str] = ()) -> tuple[bool, bool]:
    """(correct, typo). `known` holds names that mean something (the deck's, the registries', daemons'):
    a slip never turns one of them into the right answer."""
    if _says_otherwise(card, _plain(answer)):
        return False, False
    if card.numbering and card.port_sets:
        return _number_right(card, answer, known), False
    if card.port_sets or card.same:
        return any(_port_reading_right(card, r, known) for r in read_ports(answer)), False
    if card.kind == Kind.TRANSPORT:
        text, slipped = _transports_spelled(answer)
        right = read_transport(text, getattr(known, "strong", known), card.question) in card.answers
        return right, right and slipped
    if card.kind == Kind.RANGE:
        cls, typo = read_range(answer, card.asked)
        return cls in card.answers, cls in card.answers and typo
    if card.kind in (Kind.PORT_SERVICE, Kind.NUMBER_SERVICE):
        named = _name_verdict(card, answer, known)
        if named is not None:
            return named
    else:
        front_back = _front_back_right(card, answer)
        if front_back is not None:
            return front_back
    commands = {a for a in card.answers if a and _COMMAND.search(a)}
    if commands and _COMMAND.search(answer):
        return False, False  # a command's flags: one letter off is another command (`ss -lnp` is not `ss -tlnp`)
    given = normalise(answer)
    accepted = {normalise(a) for a in card.answers if a not in commands}  # the words of a card that also takes
    # an option (`SYN scan`, or -sS) may slip; an empty one is never a typo's target (too short)
    words = " " in answer.strip()
    if words and given.endswith("s") and given not in known and given[:-1] in accepted:
        return True, False  # the plural of a name of several words (Router Advertisements) names it
    curated = getattr(known, "only_curated", None)
    if words and curated is not None and curated(given):
        known = ()  # words that run into a daemon's name (`SQL Servr`: sqlservr) are still a slip
    typo = bool(given) and (is_typo(given, accepted, known) or _spelled_typo(answer, card.answers, known))
    return typo, typo


def _slip_of_a_name(card: CardSpec, answer: str, known: Container[str]) -> bool:
    """An answer whose part off by a letter read as another thing may still be, whole, a slip of an accepted name
    (`Simple Mail Transfer Protocl (SMTP)`, as the objective writes its labels); never when a word of it names
    something the card's names do not (`MySQL Server` is one letter off `MSSQL Server`, `SMTP over SSH` off SSL)."""
    theirs = {w for a in card.answers if a for w in _TOKEN.findall(_plain(a))}
    if any(w in known and w not in theirs for w in _TOKEN.findall(_plain(answer))):
        return False
    names = {normalise(a) for a in card.answers if a}
    parts = [normalise(g) for g in _groups(answer)] or [normalise(answer)]  # `Simple Mail Transfer Protocl` and
    slips = [p for p in parts if p not in names]  # `SMTP`: each part a name, or one letter off one
    return bool(slips) and all(is_typo(p, names, known) for p in slips) or is_typo(normalise(answer), names, known)


def _spelled_typo(answer: str, accepted: Iterable[str], known: Container[str]) -> bool:
    """A slip in a name spelled another usual way (`Tunelling`: one letter off the British `Tunnelling`)."""
    given = normalise(_name_text(answer))
    return bool(given) and is_typo(given, _names_of(tuple(accepted)).whole, known)


_OPTION = re.compile(r"(?<![\w-])-([A-Za-z]+)")
_COMMAND = re.compile(r"(?:^|\s)--?[A-Za-z]")  # an answer with options: a command line


def _front_back_right(card: CardSpec, answer: str) -> tuple[bool, bool] | None:
    """(right, with a slip) for a front/back answer that names the card's answer; None: judge it further."""
    if not (name_right(answer, card.answers, card.question, card.note) or list_right(answer, card.answers)):
        return None
    options = _options_as_given(answer, card.answers)
    return None if options is None else (True, options == "slip")


def _options_as_given(answer: str, accepted: Iterable[str]) -> str | None:
    """A command's short options are case-sensitive: `-T` (ss: threads) is not `-t` (TCP), `-N` is not `-n`, and a
    bare letter keeps its case (`T` is not `-t`). "right": the options of an accepted answer, or none; "slip": all
    in small letters where one is a capital (`-ss` for nmap's `-sS`: right, with a slip); None: other options."""
    answer = re.split(r"[,;(]?\s*\b(?:not|unlike|instead of|rather than)\b", unicodedata.normalize("NFKC", answer))[0]
    mine = "".join(_OPTION.findall(answer))  # the options given, not those set against them (`-t, not -T`)
    accepted = [a for a in accepted if a]
    theirs = ["".join(_OPTION.findall(a)) for a in accepted]
    bare = answer.strip()
    if not mine and re.fullmatch(r"[A-Za-z]{1,2}", bare) and any(_OPTION.fullmatch(a.strip()) for a in accepted) \
            and normalise(bare) not in {normalise(a) for a, t in zip(accepted, theirs, strict=True) if not t}:
        mine = bare  # an option typed without its dash
    elif not mine or (not any(c.islower() for c in answer) and _OPTION.sub("", answer).strip()):
        return "right"  # `NETSTAT -AN`: all in capitals, the case says nothing
    if not any(theirs) or any(_same_options(mine, t) for t in theirs if t):
        return "right"
    return "slip" if mine.islower() and any(mine == t.lower() for t in theirs if t and not t.islower()) else None


def _same_options(mine: str, theirs: str) -> bool:
    """Small-letter options in any order (`-t -l -n -p` is `-tlnp`), and a capital never for a small letter (`-N` is
    another option). Options with a capital are read in order: nmap's `-sS` is not `-Ss`, a spoofed source."""
    if theirs.islower():
        return sorted(mine) == sorted(theirs)
    return mine == theirs


def _name_verdict(card: CardSpec, answer: str, known: Container[str]) -> tuple[bool, bool] | None:
    """(right, with a slip) for a name asked for a port or a number; None: judge it further. The question's own
    number beside the name says nothing, another says otherwise; for ICMP another type or code is judged before
    the question's number goes (`Port Unreachable (code 3)` for type 3 names code 3, not type 3)."""
    text = answer
    if card.numbering.startswith("icmp"):
        text = _without_own_fields(text, card.numbering, card.asked)
        if _contradicts_itself(card, text):
            return False, False
    text = _without_asked(text, card.asked)
    verdict = False if _contradicts_itself(card, text) else judge_names(text, card.answers, known)
    if verdict is False:
        slip = _slip_of_a_name(card, answer, known)
        return slip, slip
    return None if verdict is None else (True, False)


def _contradicts_itself(card: CardSpec, answer: str) -> bool:
    """A name with a note that says otherwise: another number than the question's (`SSH (port 23)`, `Echo Request
    (type 0)`), a transport the question's port lacks, or, for an IP protocol number, TCP or UDP beside another
    protocol (`GRE and UDP`, `TCP/UDP` for 6: protocol 6 is TCP alone). Denials: `_says_otherwise`."""
    text = _plain(answer)
    if re.search(r"\b(?:ports?|type|code|ip\s*proto(?:col)?|proto(?:col)?\s*(?:number|no|#))\s*#?\s*\d+", text) or \
            re.search(r"\(\s*proto(?:col)?\s*\d+\s*\)", text):  # not `Post Office Protocol 3`
        return True  # the question's own number was taken out before (`_without_asked`): this one is another
    if card.kind == Kind.PORT_SERVICE and card.transports and set(_TRANSPORT_WORD.findall(text)) - set(card.transports):
        return True  # a transport the question's port lacks: `RIP (TCP)` for 520/udp
    if card.numbering == "ip-protocol" and card.kind == Kind.NUMBER_SERVICE:
        said = set(_TRANSPORT_WORD.findall(text))
        return bool(said - set().union(*(_TOKEN.findall(_plain(a)) for a in card.answers)))
    return False


_TRANSPORT_WORD = re.compile(r"(?<!not )(?<!no )\b(tcp|udp)\b(?![\s_-]*lite)")  # UDP-Lite is not UDP
_TAKEN_BACK = re.compile(r"\bnot\s+(?:really|sure|quite)\b|\bor not\b")  # `unicast, not really`
_INSECURE = re.compile(r"\b(?:unencrypted|cleartext|clear text|plaintext|plain text|insecure|unsecured?|"
                       r"not (?:encrypted|secure))\b")
_TCP_LIKE = re.compile(r"(?<!not )(?<!non-)(?<!non )\b(?:connection[\s-]*oriented|reliable|(?:three|3)[\s-]*way "
                       r"handshake|handshake|acknowledg\w*|guaranteed)\b")
_UDP_LIKE = re.compile(r"(?<!not )\b(?:connectionless|unreliable|best[\s-]*effort|no handshake|fire and forget)\b")


def _says_otherwise(card: CardSpec, text: str) -> bool:
    """A note that contradicts what the card is about, whatever the answer beside it: the card's own service
    denied (`22, but not for SSH`), the answer taken back; `unencrypted` beside a secure service (a name of theirs
    says secure, SSL or TLS: Secure Shell, HTTP over TLS); TCP's traits given to UDP (`UDP (connection-oriented)`)
    or UDP's to TCP; a port for an IP protocol, which has none (`ESP (port 50)`)."""
    if card.kind not in (Kind.FRONT_BACK, Kind.BACK_FRONT, Kind.TRANSPORT, Kind.RANGE) and _denied(card, text):
        return True
    words = set(_TOKEN.findall(text))
    if card.kind in (Kind.SERVICE_PORT, Kind.PORT_SERVICE, Kind.SECURE) and _INSECURE.search(text) and \
            not _SECURE_WORDS & words and (  # `5060 (unencrypted), 5061 (TLS)` tells the two apart
            card.kind == Kind.SECURE or any(_SECURE_WORDS.intersection(_TOKEN.findall(_plain(a)))
                                            for a in card.answers if a)):
        return True
    if card.kind == Kind.TRANSPORT:
        said = set(_TRANSPORT_WORD.findall(text))
        return (said == {"udp"} and bool(_TCP_LIKE.search(text))) or (said == {"tcp"} and bool(_UDP_LIKE.search(text)))
    return card.numbering == "ip-protocol" and card.kind == Kind.NUMBER_SERVICE and bool(re.search(r"\bports?\b", text))


def _denied(card: CardSpec, text: str) -> bool:
    """The answer taken back (`GRE, not really`) or the card's own service denied (`22, but not for SSH`)."""
    if _TAKEN_BACK.search(text):
        return True
    names = {normalise(a) for a in card.answers if a}
    return any(normalise(_trim(m[1])) in names for m in re.finditer(
        r"\b(?:not|never|isn'?t|is not)\s+(?:for\s+|used by\s+)?((?:[^\W_]|[ +.-])+)", text))


_ICMP_FIELD = re.compile(r"(?<![\w-])(?:icmp\s*)?(type|code)\s*(\d{1,3})(?![\w-])", re.I)


def _without_own_fields(answer: str, numbering: str, asked: tuple[int, ...]) -> str:
    """An ICMP message's name with what the question already says: `ICMP Echo Request`, `Port Unreachable (code
    3)`, `Port Unreachable (type 3 code 3)`. ICMP before the name is the family, not another protocol; a type or a
    code other than the message's own stays, and is judged."""
    own = ({("type", n) for n in asked} | {("code", 0)} if numbering == "icmp-type"  # `(type 8, code 0)`
           else {("type", 3)} | {("code", n) for n in asked})
    text = _ICMP_FIELD.sub(lambda m: " " if (m[1].lower(), int(m[2])) in own else m[0], answer)
    text = re.sub(r"^\s*icmp(?:v4)?\b[\s:-]*", "", text, flags=re.I)
    return text if normalise(text) else answer


def _without_asked(answer: str, ports: tuple[int, ...]) -> str:
    """`22 ssh`, `ssh on port 22`, `20/21 ftp`: the question's own ports typed beside the name say nothing more;
    any other number stays, and is judged (`rdp 7777` names a port, not a version)."""
    if not ports:
        return answer
    if not any(c.isdigit() for c in answer):
        return answer  # a name alone: no regular expression of this card's ports to build
    if not any(str(p) in answer for p in ports):
        return answer.strip() or answer  # as the expression leaves it: none of its numbers is in the answer (`pop3`)
    return _asked_ports(tuple(sorted(ports, reverse=True))).sub(" ", answer).strip() or answer


@lru_cache(maxsize=4096)
def _asked_ports(ports: tuple[int, ...]) -> re.Pattern[str]:
    """Compiled once per card: re's own cache (512 patterns) turned over within one long session."""
    one = "|".join(map(str, ports))
    return re.compile(rf"(?:\b(?:on|at|uses?|via)\s+)?(?:\bports?\s*)?(?<![\w.])(?:{one})"
                      rf"(?:\s*(?:/|,|-|&|\band\b)\s*(?:{one}))*(?:\s*/\s*(?:tcp|udp))?(?![\w.])", re.IGNORECASE)


def partly_right(card: CardSpec, readings: list[PortAnswer]) -> str | None:
    """Some but not all of a multi-port answer: say so, it is nearer than a plain miss."""
    for r in readings[:1]:
        if r.ports in card.port_sets:
            return None  # the ports are an accepted answer (445 of SMB's `139, 445`): something else was wrong
        for i, want in enumerate(card.port_sets):
            if r.ports and r.ports < want:
                part = ", ".join(map(str, sorted(r.ports)))
                verb = "is" if len(r.ports) == 1 else "are"
                if i:  # a set study lists give (SMB's 139, 445): the answer shown is another (445)
                    return (f"Partly: {part} {verb} right as part of {', '.join(map(str, sorted(want)))} (also "
                            f"accepted); {part} alone {verb} not.")
                return f"Partly: {part} {verb} right; the answer has {len(want)} ports."
    return None


def confusion_line(card: CardSpec, other: Fact) -> str:
    """What the wrong answer was instead: `993 is IMAPS.`, `50 is ESP.`"""
    where = str(other.number) if other.number is not None else port_list(other.ports)
    if card.kind in (Kind.PORT_SERVICE, Kind.NUMBER_SERVICE):
        return f"{other.service} {'is' if other.number is not None else 'uses'} {where}; this one is {card.expected}."
    return f"{where} is {other.service}."


# Words around a number that say what it numbers: `IP protocol 47`, `ICMP type 8`, `code 3`.
_NUMBER_WORDS = {"ip-protocol": r"ip|protocol|proto|number|num|no|nr",
                 "icmp-type": r"icmp|type|number|num|no|nr",
                 "icmp-unreachable-code": r"icmp|code|number|num|no|nr"}


# words that say the number is something else: a port, or the other ICMP field (`code 8` is not type 8)
_OTHER_NUMBER_WORDS = {"ip-protocol": r"ports?|type|code", "icmp-type": r"ports?|code|protocol",
                       "icmp-unreachable-code": r"ports?|type|protocol"}


@lru_cache(maxsize=8)  # one entry a numbering
def _number_words(numbering: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """A numbering's (words saying the number is something else; words saying what it numbers, or `#`), each
    standing alone: compiled on the numbering's first answer, not formatted into new patterns at every answer."""
    other = _OTHER_NUMBER_WORDS.get(numbering, "ports?")
    own = _NUMBER_WORDS.get(numbering, "number")
    return (re.compile(rf"(?<![\w-])(?:{other})(?![\w-])", re.I), re.compile(rf"(?<![\w-])(?:{own})(?![\w-])|#"))


def _number_right(card: CardSpec, answer: str, known: Container[str]) -> bool:
    """A numbered fact's number, maybe with its name beside it (`47 (GRE)`, `41 (6in4)`); TCP and UDP beside a
    number are names here, not transports (`6 (UDP)` is wrong for TCP), and `port 47` is a port, not GRE."""
    text = _plain(answer)
    if card.numbering == "icmp-unreachable-code":  # every such code is type 3's: `type 3 code 3` says it whole
        text = re.sub(r"(?<![\w-])(?:icmp\s*)?type\s*3\s*,?\s*(?=(?:icmp\s*)?code\b)", " ", text, flags=re.I)
    elif card.numbering == "icmp-type":  # `type 8 code 0`, `type 8, code 0`, `8/code 0`: the type, with its code
        text = re.sub(r"\s*[,/;]?\s*(?:icmp\s*)?code\s*0\s*$", " ", text, flags=re.I)
    bare = text  # the words around the number, its own names (`Port Unreachable`) taken out
    for name in sorted(card.answers, key=len, reverse=True):
        bare = re.sub(re.escape(name), " ", bare, flags=re.I) if name else bare
    something_else, numbers = _number_words(card.numbering)
    if something_else.search(bare):
        return False
    text = numbers.sub(" ", text)
    own = {normalise(a) for a in card.answers}
    whole = re.fullmatch(r"\s*([0-9]{1,3})\s*(?:\((.+)\)|[-:,]?\s+(.+))?\s*", text)
    if whole and int(whole[1]) in {p for ports in card.port_sets for p in ports}:  # a name with digits: `6in4`
        name = whole[2] or whole[3]
        if name is None or (normalise(name) not in {"tcp", "udp"} - own
                            and judge_names(name, card.answers, known, beside=True) is True):
            return True
    for r in read_ports(text):
        if r.ports in card.port_sets and r.transports <= own and judge_names(r.rest, card.answers, known,
                                                                          beside=True) is not False:
            return True
    return False


def with_accepted(card: CardSpec, accepted: Iterable[str]) -> CardSpec:
    """The card with the answers its learner accepted from now on: more names, or more port sets."""
    from dataclasses import replace

    accepted = [a for a in accepted if a.strip()]
    if not accepted:
        return card
    if card.port_sets:
        sets = [r[0].ports for r in (read_ports(a) for a in accepted) if r and r[0].ports]
        return replace(card, port_sets=tuple(dict.fromkeys(card.port_sets + tuple(sets))),
                       set_names=card.set_names + tuple((s, card.answers) for s in sets))
    return replace(card, answers=card.answers + tuple(accepted))


def suggest_rating(correct: bool, typo: bool, seconds: float | None, usual: float | None = None,
                   choice: bool = False, first_sight: bool = False) -> int:
    """Wrong -> Again; typo or slow -> Hard; fast -> Easy; otherwise Good (also when untimed).

    Fast and slow are measured against the learner's own usual time for the kind of card when known
    (under 0.8x -> Easy, over 2x and over 10 s -> Hard), else fixed bounds. Recognising an option is never Easy,
    nor is a card still being learned (a quick first answer is often a guess; Easy would push it out days).
    """
    if not correct:
        return Rating.AGAIN
    if seconds is None:  # untimed (answers read from a pipe): speed says nothing
        return Rating.HARD if typo else Rating.GOOD
    fast, slow = (0.8 * usual, max(2.0 * usual, SLOW_FLOOR)) if usual else (FAST_SECONDS, SLOW_SECONDS)
    if typo or seconds > slow:
        return Rating.HARD
    if choice or first_sight:
        return Rating.GOOD
    return Rating.EASY if seconds < fast else Rating.GOOD


def grade(card: CardSpec, answer: str, seconds: float | None, deck: DeckAnswers | None = None,
          usual: float | None = None, first_sight: bool = False) -> Verdict:
    """The verdict on one answer: right or not, the rating to suggest, and what a wrong answer was instead."""
    known = deck.known if deck is not None else ()
    correct, typo = check(card, answer, known)
    rating = suggest_rating(correct, typo, seconds, usual, bool(card.choices), first_sight)
    if correct:
        return Verdict(correct, typo, rating, answer)
    readings = read_ports(answer) if card.port_sets else []
    owner = deck.owner(card, readings, answer) if deck is not None else None
    return Verdict(correct, typo, rating, answer, owner, partly_right(card, readings))

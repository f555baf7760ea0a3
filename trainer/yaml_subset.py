"""A fast reader for the plain YAML decks are written in (block mappings and lists, flow lists, plain and quoted
text), giving exactly what PyYAML's safe loader gives; anything else returns None, and PyYAML reads the file.

PyYAML builds a node for every scalar, with two marks each, then a Python object for it: 0.3 s for the 6,000-fact
registry deck, and most of 450 MB for a deck ten times its size. This reads line by line, and gives up (None) at
the first thing it was not written for: an anchor, a tag, a block scalar, a tab, a blank line inside a scalar, a
duplicate or unknown key, a number YAML would read in another base. Giving up is always safe: PyYAML then reads
the file as before, and reports its errors with FILE:LINE. tests/test_yaml_subset.py compares the two readers on
generated and mutated files.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

# PyYAML's implicit resolvers (yaml.resolver.Resolver, YAML 1.1), by the first character of a plain scalar, in
# its order; tests/test_yaml_subset.py checks they are PyYAML's own. Only str, bool, null and plain decimal int
# are read here: float, timestamp, merge and value make the reader give up.
_BOOL = "bool", r"""^(?:yes|Yes|YES|no|No|NO
                    |true|True|TRUE|false|False|FALSE
                    |on|On|ON|off|Off|OFF)$"""
_NULL = "null", r"""^(?: ~
                    |null|Null|NULL
                    | )$"""
_FLOAT = "float", r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
                    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
                    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
                    |[-+]?\.(?:inf|Inf|INF)
                    |\.(?:nan|NaN|NAN))$"""
_INT = "int", r"""^(?:[-+]?0b[0-1_]+
                    |[-+]?0[0-7_]+
                    |[-+]?(?:0|[1-9][0-9_]*)
                    |[-+]?0x[0-9a-fA-F_]+
                    |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$"""
_TIMESTAMP = "timestamp", r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
                    |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
                     (?:[Tt]|[ \t]+)[0-9][0-9]?
                     :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
                     (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$"""
_MERGE = "merge", r"^(?:<<)$"
_VALUE = "value", r"^(?:=)$"
_YAML = "yaml", r"^(?:!|&|\*)$"
_VERBOSE = re.X | re.U


def _resolver_table() -> dict[str, list[tuple[str, re.Pattern[str]]]]:
    """First character -> (tag, pattern) in PyYAML's order, as yaml.resolver.Resolver keeps them."""
    table: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
    for (tag, pattern), first, flags in (
            (_BOOL, "yYnNtTfFoO", _VERBOSE), (_FLOAT, "-+0123456789.", _VERBOSE), (_INT, "-+0123456789", _VERBOSE),
            (_MERGE, "<", re.U), (_NULL, "~nN", _VERBOSE), (_TIMESTAMP, "0123456789", _VERBOSE),
            (_VALUE, "=", re.U), (_YAML, "!&*", re.U)):
        for ch in first:
            table.setdefault(ch, []).append((f"tag:yaml.org,2002:{tag}", re.compile(pattern, flags)))
    return table


RESOLVERS = _resolver_table()
_BOOLS = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}
_WORDS_ONLY = frozenset("yYnNtTfFoO~")  # first letters that only bool and null words resolve from
_PLAIN_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]{0,8})", re.ASCII)  # what deck.py accepts; others are refused there

# Characters YAML reads as line breaks or refuses in a file (C1 controls, NEL, the Unicode line separators, BOM,
# non-characters, lone surrogates): a range of a character class, which event_yaml writes as escapes.
YAML_UNSAFE = "\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff"
# Text this reader leaves to PyYAML: tabs, CR alone, C0 controls, and those.
_UNUSUAL_TEXT = re.compile(f"[\x00-\x09\x0b-\x1f{YAML_UNSAFE}]")
_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):(?: +|$)")
_FLOW_KEY = re.compile(r'(?:([A-Za-z_][A-Za-z0-9_]*)|"([A-Za-z_][A-Za-z0-9_]*)"): +')  # `{key: x}`, `{"key": x}`
_PLAIN_START = frozenset("-?:,[]{}#&*!|>'\"%@`")  # a plain scalar never starts with these (some are fine: we give up)
_NOT_PLAIN_START = _PLAIN_START | {" "}
_FLOW_PLAIN = re.compile(r"[^,\[\]{}:#?]*")  # a plain scalar inside [...] runs to one of these or the line's end
_AFTER_VALUE = re.compile(r" *(?:(?<= )#.*)?$")  # what may follow a quoted scalar or [...] on its line
_DQ_STOP = re.compile(r'["\\]')
_ESCAPES = {"0": "\0", "a": "\x07", "b": "\x08", "t": "\x09", "n": "\x0a", "v": "\x0b", "f": "\x0c", "r": "\x0d",
            "e": "\x1b", " ": " ", '"': '"', "\\": "\\", "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029"}
_HEX_DIGITS = {"x": 2, "u": 4, "U": 8}
_HEX = re.compile(r"[0-9A-Fa-f]+")
_PIECE = 1 << 16  # characters of text split into lines at a time
_MAX_DEPTH = 16  # [[...]] deeper than this is left to PyYAML (a deck needs two)


class Unusual(Exception):
    """The file uses YAML this reader was not written for: PyYAML reads it."""


Item = Callable[[dict[str, Any], int], Any]


def read(text: str, top_keys: Iterable[str], item_keys: Iterable[str], item: Item | None = None,
         items: str = "facts") -> tuple[dict[str, Any], list[int]] | None:
    """The top-level mapping and, for each mapping in its `items` list, the line it starts on; None when the
    text is anything but the plain subset (PyYAML then reads it, errors and all). Each of those mappings is
    passed with its line to `item`, when given, whose result takes its place in the list: a deck's facts are
    made as they are read, and the file's mappings never all exist at once (nor its lines: 25 MB for 7 MB)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")  # a line break as YAML counts and folds it; a CR alone is left to PyYAML
    if _UNUSUAL_TEXT.search(text):
        return None
    try:
        return _Reader(text, frozenset(top_keys), frozenset(item_keys), items, item).document()
    except (Unusual, IndexError, RecursionError):  # IndexError: a construct runs past the end of the file
        return None


def scalar(value: str) -> Any:
    """A plain scalar as PyYAML's safe loader constructs it: text, true/false (YAML 1.1 `yes`, `on`...), null,
    or a plain decimal int; Unusual for anything else."""
    resolvers = RESOLVERS.get(value[:1])
    if resolvers is None or (len(value) > 5 and value[0] in _WORDS_ONLY):  # `false` is the longest of those words
        return value
    for tag, rx in resolvers:
        if rx.match(value):
            kind = tag.rsplit(":", 1)[1]
            if kind == "bool":
                return _BOOLS[value.lower()]
            if kind == "null":
                return None
            if kind == "int" and _PLAIN_INT.fullmatch(value):
                return int(value)
            raise Unusual(value)
    return value


class _Reader:
    """A cursor over the lines: `i` the line, and inside a value that spans lines, `s` and `p` the text and position."""

    def __init__(self, text: str, top_keys: frozenset[str], item_keys: frozenset[str], items: str,
                 item: Item | None) -> None:
        self.text = text
        self.split_to = 0  # the text is split into lines a piece at a time, up to here
        self.lines: list[str] = []
        self.top_keys = top_keys
        self.item_keys = item_keys
        self.items = items
        self.item = item
        self.item_lines: list[int] = []
        self.i = 0
        self.read_to = 0  # lines before this one are let go
        self.s = ""
        self.p = 0

    def document(self) -> tuple[dict[str, Any], list[int]] | None:
        """The top-level mapping (after an optional `---`) and its items' lines; None for an empty file."""
        found = self._next_content()
        if found is not None and found[0] == 0 and found[1].rstrip(" ") == "---":
            self.i += 1
            found = self._next_content()
        if found is None:
            return None  # empty: PyYAML says so
        data = self._mapping(0, self.top_keys, None)
        if self._next_content() is not None:
            raise Unusual("text after the document")
        return data, self.item_lines

    def _has(self, i: int) -> bool:
        """Whether line `i` exists, splitting more of the text when it is not split yet."""
        while i >= len(self.lines):
            text, start = self.text, self.split_to
            if start > len(text):
                return False
            end = text.find("\n", start + _PIECE)
            end = len(text) if end < 0 else end
            self.lines.extend(text[start:end].split("\n"))
            self.split_to = end + 1
        return True

    def _next_content(self) -> tuple[int, str] | None:
        """From line `i` on, the first that is neither blank nor a whole-line comment: its indentation and
        content (`i` moves to it); None at the end of the file."""
        lines = self.lines
        i = self.i
        while i < len(lines) or self._has(i):
            line = lines[i]
            content = line.lstrip(" ")
            if content and content[0] != "#":
                self.i = i
                return len(line) - len(content), content
            i += 1
        self.i = i
        return None

    def _content_at(self, col: int) -> str | None:
        """The next line's content, when it stands at `col`; None at the end or when it stands left of `col` (the
        block that holds this one goes on); a line further right is not the subset."""
        found = self._next_content()
        if found is None or found[0] < col:
            return None
        if found[0] > col:
            raise Unusual("deeper line")
        return found[1]

    def _mapping(self, indent: int, keys: frozenset[str], first: str | None) -> dict[str, Any]:
        """A block mapping whose keys stand at `indent`; `first` is its first entry when it began after `- `."""
        out: dict[str, Any] = {}
        lines = self.lines
        deeper = " " * (indent + 1)  # how a line continuing a value starts
        while True:
            if first is None:
                at_indent = self._content_at(indent)
                if at_indent is None:
                    return out
                content = at_indent
            else:
                content, first = first, None
            m = _KEY.match(content)
            if m is None:
                raise Unusual("not a key")
            key = m.group(1)
            if key not in keys or key in out:
                raise Unusual("unknown or repeated key")
            rest = content[m.end():]
            if not rest or rest[0] == "#":
                out[key] = self._block_value(indent, keys is self.top_keys and key == self.items)
                continue
            if keys is self.top_keys and key == self.items:
                raise Unusual("facts written [...]")
            j = self.i + 1
            if (rest[0] in _NOT_PLAIN_START or " #" in rest or ": " in rest or rest[-1] == ":"
                    or ((j < len(lines) or self._has(j)) and lines[j].startswith(deeper)
                        and lines[j].lstrip(" ")[:1] not in ("", "#"))):
                out[key] = self._inline(rest, indent, frozenset())  # anything but one line of plain text
            else:
                value = rest.rstrip(" ")
                out[key] = value if value[0] not in RESOLVERS else scalar(value)
            self.i += 1

    def _block_value(self, indent: int, items: bool) -> Any:
        """After `key:` and nothing else: a list on the lines below, or null."""
        self.i += 1
        found = self._next_content()
        if found is None:
            return None
        at, content = found
        if at >= indent and (content[:2] == "- " or content == "-"):
            return self._sequence(at, items)
        if at > indent:
            raise Unusual("a nested mapping or text on the next line")
        return None

    def _sequence(self, col: int, items: bool) -> list[Any]:
        """A block list whose `- ` stand at `col`; mappings in it are decks' facts when `items`."""
        out: list[Any] = []
        while True:
            content = self._content_at(col)
            if content is None:
                return out
            if content[:2] != "- ":
                return out  # the next key of the mapping this list is the value of
            rest = content[2:].lstrip(" ")
            if not rest or rest[0] == "#" or rest[:2] == "- " or rest == "-":
                raise Unusual("an empty or nested item")
            item_col = col + len(content) - len(rest)
            if not items:
                if _KEY.match(rest):
                    raise Unusual("a mapping in a list")
                out.append(self._inline(rest, col, frozenset()))
                self.i += 1
                continue
            line = self.i + 1
            if _KEY.match(rest):
                value = self._mapping(item_col, self.item_keys, rest)
            elif rest[0] == "{":
                value = self._inline(rest, col, self.item_keys)
                self.i += 1
            else:
                raise Unusual("an item that is no mapping")
            self.item_lines.append(line)
            out.append(value if self.item is None else self.item(value, line))
            self._let_go()

    def _let_go(self) -> None:
        """Forget the lines already read (never read again)."""
        self.lines[self.read_to:self.i] = [""] * (self.i - self.read_to)
        self.read_to = self.i

    def _inline(self, text: str, parent: int, map_keys: frozenset[str]) -> Any:
        """A value starting on this line (`text`, the rest of it); continuation lines must be deeper than
        `parent`. Leaves `i` on the value's last line."""
        c = text[0]
        if c in "[{'\"":
            line = self.lines[self.i]
            self.s, self.p = line, len(line) - len(text)
            if c == "[":
                value: Any = self._flow_list(parent)
            elif c == "{":
                if not map_keys:
                    raise Unusual("a mapping where text or a list was expected")
                value = self._flow_map(parent, map_keys)
            else:
                value = self._quoted(parent)
            if not _AFTER_VALUE.match(self.s, self.p):
                raise Unusual("text after a value")
            return value
        if c in _PLAIN_START and not _dash_text(text, 0):
            raise Unusual("an indicator")
        return scalar(self._plain(text, parent))

    def _plain(self, text: str, parent: int) -> str:
        """Plain text in a block, folded over the deeper lines that continue it."""
        value, ended = _plain_piece(text)
        parts = [value]
        lines = self.lines
        while not ended and self._has(self.i + 1):
            line = lines[self.i + 1]
            content = line.lstrip(" ")
            if not content or content[0] == "#" or len(line) - len(content) <= parent:
                break
            value, ended = _plain_piece(content)
            parts.append(value)
            self.i += 1
        return " ".join(parts)

    def _next_line(self, parent: int, comments: bool = True) -> None:
        """On to the next line of a value that spans lines: it must be deeper than `parent`, not blank, and
        (outside quotes) no comment."""
        self.i += 1
        if not self._has(self.i):
            raise Unusual("the end of the file inside a value")
        line = self.lines[self.i]
        content = line.lstrip(" ")
        at = len(line) - len(content)
        if not content or at <= parent or (comments and content[0] == "#"):
            raise Unusual("a blank, shallow or comment line inside a value")
        self.s, self.p = line, at

    def _skip_space(self, parent: int) -> None:
        """Past spaces and line ends inside [...] or {...}."""
        while True:
            s, p = self.s, self.p
            while p < len(s) and s[p] == " ":
                p += 1
            self.p = p
            if p < len(s):
                if s[p] == "#":
                    raise Unusual("a comment inside [...]")
                return
            self._next_line(parent)

    def _flow_list(self, parent: int, depth: int = 0) -> list[Any]:
        """`[a, 'b', [1, 2]]` from `p`, over lines deeper than `parent`; no empty item, no trailing comma."""
        if depth > _MAX_DEPTH:
            raise Unusual("lists in lists in lists...")
        out: list[Any] = []
        if self._opened(parent, "]"):
            return out
        while True:
            out.append(self._flow_item(parent, depth))
            if self._entry_ended(parent, "]"):
                return out

    def _flow_map(self, parent: int, keys: frozenset[str]) -> dict[str, Any]:
        """`{service: DNS, "ports": 53}` from `p`: a fact written on one line (keys from `keys`, each once)."""
        out: dict[str, Any] = {}
        if self._opened(parent, "}"):
            return out
        while True:
            m = _FLOW_KEY.match(self.s, self.p)
            key = m.group(1) or m.group(2) if m else None
            if m is None or key not in keys or key in out:
                raise Unusual("an unusual key in {...}")
            self.p = m.end()
            self._skip_space(parent)
            out[key] = self._flow_item(parent)
            if self._entry_ended(parent, "}"):
                return out

    def _opened(self, parent: int, close: str) -> bool:
        """Past the `[` or `{` at `p` and the space after it; True when `close` follows at once (empty)."""
        self.p += 1
        self._skip_space(parent)
        if self.s[self.p] == close:
            self.p += 1
            return True
        return False

    def _entry_ended(self, parent: int, close: str) -> bool:
        """After an entry of [...] or {...}: True past `close`, False past the `,` before the next entry (an
        empty entry or a trailing comma is left to PyYAML)."""
        self._skip_space(parent)
        c = self.s[self.p]
        self.p += 1
        if c == close:
            return True
        if c != ",":
            raise Unusual("entries not separated by commas")
        self._skip_space(parent)
        if self.s[self.p] == close:
            raise Unusual("an empty entry")
        return False

    def _flow_item(self, parent: int, depth: int = 0) -> Any:
        """One value inside [...] or {...}: a list, quoted text, or plain text (folded over lines)."""
        c = self.s[self.p]
        if c == "[":
            return self._flow_list(parent, depth + 1)
        if c in "'\"":
            return self._quoted(parent)
        if c in _PLAIN_START and not _dash_text(self.s, self.p):
            raise Unusual("an indicator")
        parts = []
        while True:
            m = _FLOW_PLAIN.match(self.s, self.p)
            assert m is not None  # it matches the empty string
            parts.append(m.group().rstrip(" "))
            self.p = m.end()
            if self.p < len(self.s):
                if self.s[self.p] in ":#?":
                    raise Unusual("':', '#' or '?' in plain text inside [...]")
                break
            if not self._has(self.i + 1):
                raise Unusual("the end of the file inside [...]")
            nxt = self.lines[self.i + 1].lstrip(" ")  # the text may go on on the next line
            if not nxt or nxt[0] in ",]}#":
                break
            self._next_line(parent)
        return scalar(" ".join(parts))

    def _quoted(self, parent: int) -> str:
        """A single- or double-quoted scalar from `p`, folded as YAML folds quoted lines."""
        double = self.s[self.p] == '"'
        self.p += 1
        out: list[str] = []
        while True:
            s, p = self.s, self.p
            if double:
                m = _DQ_STOP.search(s, p)
                j = -1 if m is None else m.start()
            else:
                j = s.find("'", p)
            if j < 0:  # the line ends inside the quotes: trailing spaces go, the break is a space
                out.append(s[p:].rstrip(" "))
                out.append(" ")
                self._next_line(parent, comments=False)
                continue
            out.append(s[p:j])
            if not double:
                if s[j + 1:j + 2] == "'":
                    out.append("'")
                    self.p = j + 2
                    continue
                self.p = j + 1
                return "".join(out)
            if s[j] == '"':
                self.p = j + 1
                return "".join(out)
            self.p = self._escape(s, j + 1, out, parent)

    def _escape(self, s: str, j: int, out: list[str], parent: int) -> int:
        """A double-quoted scalar's escape after the backslash at `j - 1`; returns where reading goes on."""
        if j == len(s):  # an escaped line break: the lines join with nothing between
            self._next_line(parent, comments=False)
            return self.p
        c = s[j]
        if c in _ESCAPES:
            out.append(_ESCAPES[c])
            return j + 1
        n = _HEX_DIGITS.get(c)
        digits = s[j + 1:j + 1 + n] if n else ""
        if not n or len(digits) != n or not _HEX.fullmatch(digits):
            raise Unusual("an escape")
        code = int(digits, 16)
        if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
            raise Unusual("an escape of no character")
        out.append(chr(code))
        return j + 1 + n


def _plain_piece(text: str) -> tuple[str, bool]:
    """One line of plain text in a block, less a trailing comment (True: a comment ended the text there)."""
    cut = text.find(" #")
    if cut >= 0:
        text = text[:cut]
    if ": " in text or text.endswith(":"):
        raise Unusual("': ' in plain text")
    return text.rstrip(" "), cut >= 0


def _dash_text(text: str, at: int) -> bool:
    """`-l`, `-1`: a plain scalar may start with a dash that is not a list's."""
    return text[at] == "-" and text[at + 1:at + 2] not in ("", " ", ",", "[", "]", "{", "}")

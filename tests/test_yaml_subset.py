"""The fast reader of plain YAML gives exactly what PyYAML gives, or gives up: on the bundled decks, on tricky
cases, and on generated and mutated files compared with PyYAML's own reading."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trainer import yaml_subset
from trainer.deck import _DECK_FIELDS, _FACT_FIELDS
from trainer.paths import bundled_deck, bundled_deck_names

ERROR = "error"
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def typed(value: Any) -> Any:
    """A value with its types spelled out: True == 1 in Python, not in a deck."""
    if isinstance(value, dict):
        return ("dict", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [typed(v) for v in value])
    return (type(value).__name__, value)


def pyyaml(text: str) -> Any:
    """What parse_deck's PyYAML path reads: the data, and the line each fact mapping starts on."""
    loader = Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return ERROR
        data = loader.construct_document(node)
    except yaml.YAMLError:
        return ERROR
    finally:
        loader.dispose()
    lines: list[int] = []
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if getattr(k, "value", None) == "facts" and isinstance(v, yaml.SequenceNode):
                lines = [n.start_mark.line + 1 for n in v.value]
    return typed(data), lines


def fast(text: str) -> Any:
    read = yaml_subset.read(text, _DECK_FIELDS, _FACT_FIELDS)
    if read is None:
        return None
    data, lines = read
    return typed(data), lines


def agrees(text: str) -> bool:
    """The fast reader gave up, or read what PyYAML reads (which then must not be an error)."""
    mine = fast(text)
    if mine is None:
        return True
    theirs = pyyaml(text)
    assert theirs != ERROR, f"read what PyYAML refuses:\n{text}"
    assert mine[0] == theirs[0], f"read differently:\n{text}\n{mine[0]}\n{theirs[0]}"
    if mine[1]:
        assert mine[1] == theirs[1], f"fact lines differ:\n{text}"
    return False


def test_the_resolvers_are_pyyamls() -> None:
    theirs = yaml.resolver.Resolver.yaml_implicit_resolvers
    assert set(yaml_subset.RESOLVERS) == set(theirs) - {""}  # '' (empty: null) never reaches `scalar`
    for first, resolvers in yaml_subset.RESOLVERS.items():
        assert [(t, r.pattern, r.flags) for t, r in resolvers] == [(t, r.pattern, r.flags) for t, r in theirs[first]]
    for first in yaml_subset._WORDS_ONLY:  # text longer than `false` starting so is text
        assert {t.rsplit(":", 1)[1] for t, _ in theirs[first]} <= {"bool", "null"}
    assert all(len(w) <= 5 for w in [*yaml_subset._BOOLS, "null", "~"])


@pytest.mark.parametrize("name", bundled_deck_names())
def test_every_bundled_deck_is_read_fast_and_the_same(name: str) -> None:
    text = bundled_deck(name).read_text(encoding="utf-8")
    assert fast(text) is not None, "a bundled deck should not need PyYAML"
    assert fast(text) == pyyaml(text)


DECK = """\
# a comment
format: 1
name: mine
title: 'My ports: the ''best'' ones'
description: A long description that goes on
  over a second line, and a third
  - with a dash.
kinds: [service-port, port-service,
    transport]
facts:
- key: imap
  service: IMAP   # a comment
  aliases: [imap4, 'IMAP v4', "Internet \\"Message\\" Access\\x21", Internet Message
      Access Protocol]
  ports: 143
  transport: tcp
  note: "a double-quoted note \\
    joined, and a break\\n here"

- service: FTP
  ports: [20, 21]
  accept_ports: [[20], [21]]
  tags:
  - files
  - "transfer"
- {service: DNS, ports: 53, transport: both}
-   front: What does CIA stand for?
    back: 'Confidentiality, integrity,
      availability'
    accept:
      - CIA triad
      - yes
    tags: [on, off, null, ~, -x, 0, 443, +7]
"""


def test_a_deck_of_every_supported_form_is_read_and_agrees() -> None:
    assert fast(DECK) is not None
    assert not agrees(DECK)


@pytest.mark.parametrize("text", [
    "facts: [a, b]\nname: &a x\n", "facts: *a\n", "name: !!str 1\nfacts: [a]\n", "name: |\n  x\nfacts: [a]\n",
    "name: x\nname: y\n", "nope: 1\n", "name: 017\n", "name: 0x50\n", "name: 1:20\n", "name: 1_000\n",
    "name: 3.14\n", "name: 2024-01-01\n", "name: .inf\n", "name:\tx\n", "name: x\r", "name: 'x\n\n  y'\n",
    "name: a: b\n", "name: a:\n", "facts:\n- key: a\n   service: b\n", "facts:\n  - key: a\n  - - b\n",
    "facts: [a,]\n", "facts: [a, , b]\n", "facts: [a: b]\n", "facts: [C#]\n", "---\nname: x\n---\n",
    "name: x\n...\n", "%YAML 1.1\n---\nname: x\n", "facts:\n- {key: a, key: b}\n", "facts:\n- {nope: a}\n",
    "name: \"\\ud800\"\n", "name: \"\\q\"\n", "name: '\u2028'\n", "name: \ufeffx\n", "name: x\n  y: z\n",
    "facts:\n-\n  key: a\n", "description: x\n# c\n  y\n", "description: x\n\n  y\n", "facts: [a\n\n  b]\n",
    "facts: [a, # c\n  b]\n", "facts:\n- key: a\n  ports: [1,\n  2]\n", "description: >\n  x\n", "name: '\n",
    "name: x # c\n  y\n", "name: 'a'b\n", "name: 'a'#b\n", "name: -\n", "name: - x\n", "facts: [-]\n",
    "facts: [?a]\n", "name: ? x\n", "facts: {a: b}\n", "facts:\n- key: a\n  aliases:\n  b\n",
])
def test_unusual_yaml_is_left_to_pyyaml_or_read_the_same(text: str) -> None:
    agrees(text)


KEYS = sorted(_FACT_FIELDS)
WORDS = ["imap", "IMAP", "yes", "No", "on", "OFF", "null", "~", "true", "0", "443", "-5", "+7", "017", "0x1F",
         "1:20", "1_000", "3.14", ".5", ".inf", "2024-01-01", "=", "<<", "-x", "a-b", "20-21", "é", "日本", "💡",
         "x y", "a:b", "a: b", "a #b", "a#b", "C#", "'q'", '"q"', "it's", "[x]", "{x}", "x,y", "&a", "*a", "!t",
         "|", ">", "%", "@", "`", "?", "- x", "-", "", " ", "a\\b", "\\n", "\u00a0", "\u2028", "\t", "#"]
COMMON = ["imap", "Remote Desktop", "it's", "a-b", "20-21", "443", "0", "yes", "on", "null", "(x)", "a/b", "a;b",
          "a.b", "-x", "a:b", "a#b", "x,", "[y]", "e.g.", "IMAPv4", "v1.2", "x!", "y?", "100%", "é"]
scalars = st.lists(st.one_of(st.sampled_from(COMMON), st.sampled_from(COMMON), st.sampled_from(WORDS)), min_size=1,
                   max_size=4).map(" ".join)


def render_scalar(draw: Any, value: str, indent: int) -> str:
    style = draw(st.sampled_from(["plain", "plain", "single", "double", "folded"]))
    if style == "single":
        text = "'" + value.replace("'", "''") + "'"
    elif style == "double":
        text = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    else:
        text = value
    if style == "folded" or draw(st.booleans()):
        words = text.split(" ")
        if len(words) > 1:
            cut = draw(st.integers(1, len(words) - 1))
            sep = "\n" + " " * draw(st.integers(0, indent + 4))
            text = " ".join(words[:cut]) + sep + " ".join(words[cut:])
    return text


@st.composite
def values(draw: Any, indent: int) -> str:
    kind = draw(st.sampled_from(["scalar", "scalar", "flow", "block", "nested"]))
    if kind == "scalar":
        return " " + render_scalar(draw, draw(scalars), indent)
    items = [render_scalar(draw, draw(scalars), indent) for _ in range(draw(st.integers(0, 3)))]
    if kind == "flow":
        return " [" + ", ".join(items) + "]"
    if kind == "nested":
        return " [" + ", ".join(f"[{i}]" for i in items) + "]"
    col = " " * (indent + draw(st.integers(0, 2)))
    return "".join(f"\n{col}- {i}" for i in items) or ""


@st.composite
def decks(draw: Any) -> str:
    lines = []
    for key in draw(st.lists(st.sampled_from(["format", "name", "title", "description", "kinds", "nope"]), max_size=4,
                             unique=True)):
        lines.append(f"{key}:{draw(values(0))}")
    lines.append("facts:")
    col = draw(st.integers(0, 2))
    for _ in range(draw(st.integers(1, 4))):
        keys = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=4, unique=True))
        if draw(st.integers(0, 4)) == 0:
            entries = ", ".join(f"{k}: {render_scalar(draw, draw(scalars), col + 2)}" for k in keys)
            lines.append(" " * col + "- {" + entries + "}")
            continue
        inner = col + 2 + draw(st.integers(0, 1))
        for n, key in enumerate(keys):
            lead = " " * col + "-" + " " * (inner - col - 1) if n == 0 else " " * inner
            lines.append(f"{lead}{key}:{draw(values(inner))}")
        if draw(st.booleans()):
            lines.append(draw(st.sampled_from(["", "# c", "  # c", "   "])))
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n", "\n# end\n"]))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(decks())
def test_generated_decks_are_read_as_pyyaml_reads_them(text: str) -> None:
    agrees(text)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_decks_are_read_as_pyyaml_reads_them(data: st.DataObject) -> None:
    text = DECK
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 3))
        insert = data.draw(st.sampled_from(["", " ", "\n", "  ", "- ", ": ", "#", "'", '"', "[", "]", ",", "{",
                                            "}", "\\", "x", "-", "\n  ", "\n    ", "&", "0", "yes"]))
        text = text[:at] + insert + text[at + cut:]
    agrees(text)

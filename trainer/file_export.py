"""Decks out of the database: YAML and CSV that import back unchanged, and Anki packages."""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Callable
from pathlib import Path

from trainer.cards import make_card, plan_cards, port_list
from trainer.deck import Deck, Kind, compact_ports, dump_deck
from trainer.errors import TrainerError
from trainer.file_import import CSV_FIELDS


def with_accepted(deck: Deck, accepted: dict[str, list[str]]) -> Deck:
    """The deck with the answers its learner accepted in study ("accept my answer"), written where a deck keeps
    them: a front/back card's `accept`, a port fact's `aliases` (names) or `accept_ports` (ports)."""
    from dataclasses import replace

    from trainer.grading import read_ports

    facts = []
    for fact in deck.facts:
        extra = {kind: accepted.get(f"{deck.name}/{fact.key}/{kind.value}", []) for kind in Kind}
        sets = [r[0].ports for r in (read_ports(a) for a in extra[Kind.SERVICE_PORT]) if r and r[0].ports]
        facts.append(replace(
            fact, accept=tuple(dict.fromkeys(fact.accept + tuple(extra[Kind.FRONT_BACK]))),
            aliases=tuple(dict.fromkeys(fact.aliases + tuple(extra[Kind.PORT_SERVICE]))),
            accept_ports=tuple(dict.fromkeys(fact.accept_ports + tuple(tuple(sorted(s)) for s in sets)))))
    return replace(deck, facts=tuple(facts))


def to_yaml(deck: Deck) -> str:
    return dump_deck(deck)


def to_csv(deck: Deck) -> str:
    """Only the columns some fact uses, in a fixed order; lists joined with `|`."""
    rows = [f.to_dict() for f in deck.facts]
    cols = [c for c in CSV_FIELDS if any(c in r for r in rows)]
    out = io.StringIO(newline="")
    w = csv.writer(out, lineterminator="\r\n")  # RFC 4180: a field holding a lone CR is then quoted too
    w.writerow(cols)
    for f, r in zip(deck.facts, rows, strict=False):
        cells = []
        for c in cols:
            v = r.get(c, "")
            if c == "ports":
                v = "|".join(map(str, compact_ports(f.ports)))
            elif c == "accept_ports":
                v = "|".join(",".join(map(str, compact_ports(p))) for p in f.accept_ports)
            elif isinstance(v, list):
                v = "|".join(map(str, v))
            cells.append(v)
        w.writerow(cells)
    return out.getvalue()


def write_atomic(target: Path, write: Callable[[Path], object]) -> None:
    """Every export lands whole or not at all: written beside the target under a temporary name, then renamed
    over it (a symlink at the target is replaced, never followed); the temporary file never outlives a failure."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, target)
    except OSError as e:
        raise TrainerError(f"{target}: cannot write ({e.strerror or e})") from None
    finally:
        tmp.unlink(missing_ok=True)


def _stable_id(text: str) -> int:
    """Anki wants 31-bit-ish ids; derive them from names so re-exports update rather than duplicate."""
    return int(hashlib.sha1(text.encode()).hexdigest()[:8], 16) % (1 << 30) + (1 << 30)


def to_apkg(deck: Deck, target: Path) -> int:
    """One Basic note per card (question / answer and note), so every question kind survives; returns notes."""
    import genanki

    model = genanki.Model(
        _stable_id("trainer-model-v1"), "trainer card",
        fields=[{"name": "Question"}, {"name": "Answer"}, {"name": "Note"}],
        templates=[{"name": "Card 1", "qfmt": "{{Question}}",
                    "afmt": "{{FrontSide}}<hr id=answer>{{Answer}}<br><small>{{Note}}</small>"}],
    )
    adeck = genanki.Deck(_stable_id(f"trainer-deck:{deck.name}"), deck.title or deck.name)
    by_key = {f.key: f for f in deck.facts}
    planned = plan_cards(deck)
    for card in planned:
        fact = by_key[card.fact_key]
        spec = make_card(deck.name, fact, card.kind, by_key)
        answer = port_list(fact.ports) if card.kind == Kind.SERVICE_PORT else spec.expected
        note = f"{spec.expected}. {spec.note}" if answer != spec.expected else spec.note
        fields = [_html(spec.question), _html(answer), _html(note)]
        adeck.add_note(genanki.Note(model=model, fields=fields, guid=genanki.guid_for(spec.id),
                                    tags=[t.replace(" ", "_") for t in fact.tags]))
    write_atomic(target, lambda tmp: genanki.Package(adeck).write_to_file(str(tmp)))
    return len(planned)


def _html(text: str) -> str:
    import html

    return html.escape(text)

"""The YAML an import event carries reads back, on another device, into the very deck that was imported."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer import yaml_subset
from trainer.deck import _DECK_FIELDS, _FACT_FIELDS, Deck, _parse_yaml, deck_from_records, load_deck, parse_deck
from trainer.event_yaml import deck_yaml
from trainer.paths import bundled_deck, bundled_deck_names


def stored(deck: Deck) -> list[str]:
    """Each fact as store.import_decks writes it to facts.data."""
    return [json.dumps(f.to_dict(), ensure_ascii=False, sort_keys=True) for f in deck.facts]


def same(a: Deck, b: Deck) -> bool:
    return a.to_dict() == b.to_dict() and a.facts == b.facts


@pytest.mark.parametrize("name", bundled_deck_names())
def test_every_bundled_deck_travels_whole_and_is_read_fast(name: str) -> None:
    deck = load_deck(bundled_deck(name))
    text = deck_yaml(deck, stored(deck))
    assert yaml_subset.read(text, _DECK_FIELDS, _FACT_FIELDS) is not None
    assert same(parse_deck(text, "<from another device>"), deck)
    assert same(_parse_yaml(text, "<from another device>"), deck)  # as a trainer before yaml_subset reads it


_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
_special = st.sampled_from(["\x85", "\u2028", "\u2029", "\ufeff", "\x7f", "\x9f", "\t", "\r", "\n", "\\", '"', "'",
                            "#", ": ", "- ", "{", "[", "yes", "null", "0x1F", "💡", "\x00", "\x1b", "\ufffe"])
_words = st.lists(st.one_of(_text, _special), min_size=1, max_size=4).map("".join).filter(str.strip)


@settings(max_examples=150, deadline=None)
@given(facts=st.lists(st.tuples(_words, _words, st.lists(_words, max_size=3), _text), min_size=1, max_size=5),
       ports=st.lists(st.tuples(_words, st.lists(st.integers(0, 65535), min_size=1, max_size=5)), max_size=3),
       title=_words, description=_text)
def test_any_deck_travels_whole(facts: list[tuple[str, str, list[str], str]], ports: list[tuple[str, list[int]]],
                                title: str, description: str) -> None:
    records: list[tuple[dict[str, object], int]] = []
    for i, (front, back, accept, note) in enumerate(facts):
        records.append(({"key": f"k{i}", "front": front, "back": back, "accept": accept, "note": note}, i + 1))
    for i, (service, numbers) in enumerate(ports):
        records.append(({"key": f"p{i}", "service": service, "ports": numbers, "transport": "both"}, 0))
    deck = deck_from_records(records, "gen.yaml", "gen", title=title.strip(), description=description.strip())
    text = deck_yaml(deck, stored(deck))
    assert same(parse_deck(text, "<from another device>"), deck)
    assert same(_parse_yaml(text, "<from another device>"), deck)  # as a trainer before yaml_subset reads it

"""The deck an import event carries to the learner's other devices, as YAML they read back into the same deck:
one fact a line, each the JSON the database stores it as (JSON is YAML), written in milliseconds where PyYAML's
dumper took half a second for the registry deck."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from trainer.deck import Deck
from trainer.yaml_subset import YAML_UNSAFE

_SPECIAL = re.compile(f"[{YAML_UNSAFE}]")  # which JSON leaves as they are: written as escapes


def deck_yaml(deck: Deck, fact_data: Sequence[str]) -> str:
    """`deck` as YAML, its facts given as their stored JSON (`fact_data`, in deck order)."""
    head = "".join(f"{key}: {json.dumps(value, ensure_ascii=False)}\n" for key, value in deck.header().items())
    facts = "- " + "\n- ".join(fact_data) if fact_data else "[]"  # not a string a line: 8 MB for a 7 MB deck
    text = f"{head}facts:\n{facts}\n"
    return _SPECIAL.sub(lambda m: f"\\u{ord(m.group()):04x}", text) if _SPECIAL.search(text) else text

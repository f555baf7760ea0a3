#!/usr/bin/env python3
"""Write trainer/schema.sql: what the migrations make of a new database, so a first start need not run them.

    python scripts/build_schema.py

A test fails when the file no longer matches the migrations (a stale one is still safe: what it lacks, they add).
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from trainer.db import SCHEMA, Database, _migrate, schema_snapshot  # noqa: E402


def main() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    _migrate(Database(conn))
    SCHEMA.write_text(schema_snapshot(conn), encoding="utf-8")
    print(f"wrote {SCHEMA}")


if __name__ == "__main__":
    main()

"""The benchmark must keep running: a tiny smoke run (no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_smoke_run_prints_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench.py"), "--tiny", "--json", str(out)],
                          capture_output=True, text=True, timeout=240, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    figures = json.loads(out.read_text())["figures"]
    expected = {"first_question_large_s", "first_question_small_s", "answer_large_ms", "answer_small_ms",
                "import_registry_s", "reimport_registry_s", "lookup_443_s", "stats_json_large_s", "review_peak_rss_mb",
                "open_checks_own_log_ms", "open_checks_stranger_log_ms", "sync_merge_all_s", "sync_merge_peak_mb"}
    assert set(figures) == expected
    assert all(f["median"] > 0 for f in figures.values())
    for name in expected:
        assert name in proc.stdout

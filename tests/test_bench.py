"""The benchmark must keep running: a tiny smoke run (no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_smoke_run_prints_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench.py"), "--tiny", "--scale", "2", "--json",
                           str(out)], capture_output=True, text=True, timeout=240, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    figures = json.loads(out.read_text())["figures"]
    expected = {"first_question_large_s", "first_question_small_s", "answer_in_process_large_ms",
                "answer_in_process_small_ms", "answer_paused_large_ms", "answer_pipe_40_large_ms",
                "answer_pipe_30_large_ms",
                "import_registry_s", "reimport_registry_s", "import_own_yaml_680kb_s", "import_small_exam_s",
                "lookup_443_large_s", "stats_json_large_s", "open_checks_own_log_ms", "open_checks_stranger_log_ms",
                "sync_send_all_s", "sync_merge_all_s"}
    expected |= {name.replace("_large_", "_x2_") for name in expected if "_large_" in name} | {"import_deck_x2_s"}
    assert set(figures) == expected
    assert all(f["median"] > 0 for f in figures.values())
    for name in expected:
        assert name in proc.stdout
    assert "peak memory of any command" in proc.stdout and "x2 against the registry-sized database" in proc.stdout

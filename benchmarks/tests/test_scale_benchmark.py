"""The scale benchmark runs end to end on a tiny landing zone, so it cannot rot (its figures are
never asserted: benchmarks are not tests)."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import run_command


def test_scale_benchmark_smoke(tmp_path: Path) -> None:
    # Two daily runs: the second on a copy of the full build, as the flat-in-history pairs do.
    smoke = ["--smoke", "--daily-repeats", "2", "--scratch", str(tmp_path)]
    result = run_command(["python", "benchmarks/scale.py", *smoke])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "full build / lower bound" in result.stdout
    figures = json.loads((tmp_path / "smoke" / "scale_figures.json").read_text())
    assert set(figures["steps"]) == {"simulate", "lower_bound", "full", "daily", "rerun"}
    assert figures["planted_truth_failed"] == []
    assert len(figures["daily_seconds"]) == 2
    assert not (tmp_path / "smoke" / "warehouse_after_full_build").exists()

"""The partitions benchmark runs end to end on a tiny landing zone, so it cannot rot (its figures
are never asserted: benchmarks are not tests)."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import run_command


def test_partitions_benchmark_smoke(tmp_path: Path) -> None:
    command = ["python", "benchmarks/partitions.py", "--smoke", "--scratch", str(tmp_path)]
    result = run_command(command)
    assert result.returncode == 0, result.stdout + result.stderr
    figures = json.loads((tmp_path / "partitions-smoke" / "partitions_figures.json").read_text())
    assert set(figures["steps"]) == {"daily", "grouped"}
    assert figures["differing_marts"] == {}

"""The calibrated simulator's planted truth is what the real pipeline's marts recover."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from helpers import lcw

from orchestration.settings import Settings
from orchestration.simulation.calibrated import MANIFEST_NAME, simulate_platform
from orchestration.simulation.planted_truth import format_checks, recovery_checks

START = date(2020, 1, 1)


def test_marts_recover_the_planted_truth(tmp_path: Path, dbt_manifest: Path) -> None:
    """Two full months through the real pipeline: every planted count is recovered exactly and
    every planted probability within four standard errors (simulation/planted_truth.py)."""
    landing = tmp_path / "landing"
    simulate_platform(landing, START, 60, 12_000, seed=21)
    warehouse = tmp_path / "warehouse.duckdb"
    result = lcw("run", "--landing", str(landing), "--warehouse", str(warehouse))
    assert result.returncode == 0, result.stdout + result.stderr
    checks = recovery_checks(
        landing / MANIFEST_NAME, Settings(warehouse_path=warehouse).published_path
    )
    report = format_checks(checks)
    assert len(checks) >= 20, report
    assert all(check.ok for check in checks), report
    # the second month has returning buyers, so the planted share is really tested
    assert any(c.name.endswith("returning_buyer_share") and c.planted > 0.4 for c in checks)

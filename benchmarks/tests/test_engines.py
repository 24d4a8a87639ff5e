"""The engines benchmark's own logic, without running it (a real run takes minutes even at
20,000 orders: it needs Spark). Its figures are never asserted: benchmarks are not tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from helpers import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "benchmarks"))

from engines import parse_arguments, run_phases, side_by_side  # noqa: E402

RUN_LOG = """Running with dbt=1.12.6
Finished running 12 incremental models in 0 hours 1 minutes and 27.67 seconds (87.67s).
Running with dbt=1.12.6
Finished running 21 table models in 0 hours 2 minutes and 3.96 seconds (123.96s).
"""


def test_the_one_million_order_arguments(tmp_path: Path) -> None:
    args = parse_arguments(
        ["--orders", "1000000", "--days", "366", "--scratch", str(tmp_path), "--engines", "spark",
         "--spark-driver-memory", "8g"]
    )  # fmt: skip
    assert (args.orders, args.days, args.engines) == (1_000_000, 366, ["spark"])
    assert args.spark_driver_memory == "8g"
    assert parse_arguments(["--scratch", "relative"]).scratch.is_absolute()
    assert parse_arguments([]).engines == ["duckdb", "spark"]


def test_a_run_is_split_by_its_log(tmp_path: Path) -> None:
    log = tmp_path / "warehouse.run.log"
    log.write_text(RUN_LOG)
    phases = run_phases(log, 250.0)
    assert phases == {
        "total": 250.0,
        "dbt_incremental": 87.67,
        "dbt_build": 123.96,
        "other": pytest.approx(38.37),
    }
    assert run_phases(tmp_path / "missing.log", 9.0) == {"total": 9.0}


def test_the_side_by_side_table() -> None:
    figures = {
        "orders": 1_000_000,
        "days": 366,
        "runs": {
            "duckdb": {"peak_rss_mb": 900.0, "phases": {"total": 100.0, "dbt_build": 50.0}},
            "spark": {"peak_rss_mb": 1000.0, "phases": {"total": 250.0, "dbt_build": 150.0}},
        },
        "marts_compared": 19,
        "unequal_marts": {},
    }
    table = side_by_side(figures)
    assert "| 1,000,000 orders, 366 export dates | duckdb | spark | spark / duckdb |" in table
    assert "| `lcw run`, wall time | 100.0 s | 250.0 s | 2.5× |" in table
    assert "| dbt: the other models and every test | 50.0 s | 150.0 s | 3.0× |" in table
    assert "| ingestion, dbt parse, publishing, start-up | – | – | – |" in table
    assert "19 of 19 marts equal, row for row" in table
    del figures["runs"]["spark"]
    figures["marts_compared"] = None
    assert "| `lcw run`, wall time | 100.0 s | – | – |" in side_by_side(figures)

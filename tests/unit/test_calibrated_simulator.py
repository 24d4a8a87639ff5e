"""The calibrated platform simulator: deterministic, contract-clean in every landing format, and
its planted truth is what the real pipeline's marts recover."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from helpers import lcw

from orchestration.landing.contract import SOURCES
from orchestration.landing.loader import load_partition
from orchestration.simulation.calibrated import FORMATS, MANIFEST_NAME, simulate_platform

START = date(2020, 1, 1)


def landing_rows(landing: Path) -> dict[str, list[tuple]]:
    """Every source's rows, sorted, read with DuckDB (file bytes may differ between writers)."""
    out = {}
    with duckdb.connect() as conn:
        for source in SOURCES:
            files = sorted((landing / source).glob("dt=*/*.parquet"))
            paths = ", ".join(f"'{p}'" for p in files)
            out[source] = sorted(
                conn.execute(f"select * from read_parquet([{paths}])").fetchall(), key=repr
            )
    return out


def test_same_seed_same_platform_other_seed_another(tmp_path: Path) -> None:
    first = simulate_platform(tmp_path / "a", START, 5, 2_000, seed=5)
    again = simulate_platform(tmp_path / "b", START, 5, 2_000, seed=5)
    other = simulate_platform(tmp_path / "c", START, 5, 2_000, seed=6)
    assert first.rows_written == again.rows_written
    assert landing_rows(tmp_path / "a") == landing_rows(tmp_path / "b")
    assert landing_rows(tmp_path / "a")["orders"] != landing_rows(tmp_path / "c")["orders"]
    assert other.counted_orders > 0


def test_rerun_replaces_partitions(tmp_path: Path) -> None:
    simulate_platform(tmp_path, START, 3, 1_000, seed=5)
    files = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    simulate_platform(tmp_path, START, 3, 1_000, seed=5)
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()) == files


def test_volume_follows_the_orders_parameter(tmp_path: Path) -> None:
    summary = simulate_platform(tmp_path, START, 10, 5_000, seed=5)
    assert 4_500 <= summary.counted_orders <= 5_500
    manifest = json.loads((tmp_path / MANIFEST_NAME).read_text())
    assert manifest["totals"]["counted_orders"] == summary.counted_orders
    assert manifest["orders_requested"] == 5_000


@pytest.mark.parametrize("file_format", FORMATS)
def test_every_format_loads_without_a_reject(tmp_path: Path, file_format: str) -> None:
    landing = tmp_path / "landing"
    summary = simulate_platform(landing, START, 2, 1_500, seed=9, file_format=file_format)
    loaded = dict.fromkeys(SOURCES, 0)
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as conn:
        for source in SOURCES:
            for offset in range(2):
                result = load_partition(conn, landing, source, START + timedelta(days=offset))
                assert result.rows_rejected == 0, (source, result.reject_reasons)
                loaded[source] += result.rows_loaded
    assert loaded == summary.rows_written
    assert all(loaded[source] > 0 for source in ("orders", "follows", "livestream_sessions"))


def test_simulate_cli_writes_the_manifest(tmp_path: Path) -> None:
    result = lcw(
        "simulate", "--landing", str(tmp_path), "--start", "2020-01-01", "--days", "2",
        "--orders", "500", "--format", "csv.gz",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (tmp_path / MANIFEST_NAME).is_file()
    assert list((tmp_path / "orders" / "dt=2020-01-02").glob("*.csv.gz"))

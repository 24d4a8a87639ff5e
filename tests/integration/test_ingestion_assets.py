"""The ingestion assets as Dagster runs them: asset checks, the landing sensor, crash safety."""

from __future__ import annotations

import os
import time
from datetime import date, timedelta
from pathlib import Path

from dagster import AssetKey, SkipReason, build_sensor_context, materialize
from dagster_duckdb import DuckDBResource
from helpers import VALID_ORDER, query, requested_ranges, write_csv

from orchestration.defs.automation import build_landing_sensor
from orchestration.defs.ingestion import (
    REJECT_RATIO_CHECK,
    ROW_COUNT_CHECK,
    build_ingestion_assets,
)
from orchestration.defs.jobs import build_update_job
from orchestration.defs.partitions import export_date_partitions
from orchestration.defs.resources import LandingZone, RawLake
from orchestration.landing.lake import source_partition_dir

FIRST = date(2021, 6, 1)
PARTITIONS = export_date_partitions(date(2019, 1, 1))
INGESTION = build_ingestion_assets(PARTITIONS)
ORDERS = next(a for a in INGESTION if a.key == AssetKey(["raw", "orders"]))
landing_partition_sensor = build_landing_sensor(build_update_job(INGESTION), PARTITIONS)


def order_of(dt: date) -> dict[str, str]:
    """VALID_ORDER placed on `dt`: a record is exported on or after the day of its events."""
    return {k: v.replace("2021-06-15", dt.isoformat()) for k, v in VALID_ORDER.items()}


def write_orders(landing: Path, dt: date, count: int, bad: int = 0) -> None:
    folder = landing / "orders" / f"dt={dt.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    rows = [{**order_of(dt), "order_id": f"{dt}-{i}"} for i in range(count)]
    rows += [{**order_of(dt), "order_id": f"{dt}-bad{i}", "status": "?"} for i in range(bad)]
    write_csv(folder / "orders.csv", rows)


def checks_after(
    landing: Path, warehouse: Path, dt: date, lake: RawLake | None = None
) -> dict[str, bool]:
    """The ingestion checks' outcomes; a failed blocking check fails the run."""
    result = materialize(
        [ORDERS],
        partition_key=dt.isoformat(),
        resources={
            "warehouse": DuckDBResource(database=str(warehouse)),
            "landing": LandingZone(root=str(landing)),
            "lake": lake or RawLake(),
        },
        raise_on_error=False,
    )
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert result.success == checks[REJECT_RATIO_CHECK]
    return checks


def test_row_count_drop_and_reject_ratio_checks(tmp_path: Path) -> None:
    landing, warehouse = tmp_path / "landing", tmp_path / "w.duckdb"
    for day in range(7):
        write_orders(landing, FIRST + timedelta(days=day), count=10)
        checks = checks_after(landing, warehouse, FIRST + timedelta(days=day))
        assert checks == {REJECT_RATIO_CHECK: True, ROW_COUNT_CHECK: True}
    # Day 8 loads 4 rows against 10 a day before (< 50%), and 1 of 5 rows (20%) is rejected.
    write_orders(landing, FIRST + timedelta(days=7), count=4, bad=1)
    checks = checks_after(landing, warehouse, FIRST + timedelta(days=7))
    assert checks == {REJECT_RATIO_CHECK: False, ROW_COUNT_CHECK: False}


def test_the_spark_engine_also_writes_the_partition_into_the_lake(tmp_path: Path) -> None:
    landing, warehouse, lake = tmp_path / "landing", tmp_path / "w.duckdb", tmp_path / "lake"
    write_orders(landing, FIRST, count=3)
    checks_after(landing, warehouse, FIRST)
    assert not lake.exists()  # the duckdb engine: no lake
    checks_after(landing, warehouse, FIRST, RawLake(root=str(lake)))
    part = source_partition_dir(lake / "raw", "orders", FIRST) / "part-0.parquet"
    (count,) = query(warehouse, f"SELECT count(*) FROM read_parquet('{part}')")[0]
    assert count == 3


def test_a_partition_reloaded_by_a_duckdb_run_is_exported_again_by_the_next_spark_run(
    tmp_path: Path,
) -> None:
    """spark run, corrected re-export loaded by a duckdb run (the lake untouched), spark run:
    raw's fingerprint is current, but the lake's copy is of the old files, so it is replaced."""
    landing, warehouse, lake = tmp_path / "landing", tmp_path / "w.duckdb", tmp_path / "lake"
    spark_lake = RawLake(root=str(lake))
    part = source_partition_dir(lake / "raw", "orders", FIRST) / "part-0.parquet"
    in_lake = f"SELECT count(*) FROM read_parquet('{part}')"
    write_orders(landing, FIRST, count=3)
    checks_after(landing, warehouse, FIRST, spark_lake)
    assert query(warehouse, in_lake) == [(3,)]
    time.sleep(0.01)  # a new modification time, whatever the file system's resolution
    write_orders(landing, FIRST, count=5)
    checks_after(landing, warehouse, FIRST)  # the duckdb engine
    assert query(warehouse, in_lake) == [(3,)]
    checks_after(landing, warehouse, FIRST, spark_lake)
    assert query(warehouse, in_lake) == [(5,)]
    # Unchanged since: neither loaded nor exported again.
    exported_at = part.stat().st_mtime_ns
    checks_after(landing, warehouse, FIRST, spark_lake)
    assert part.stat().st_mtime_ns == exported_at


def test_sensor_requests_each_partition_version_once(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write_orders(landing, FIRST, count=1)
    write_orders(landing, FIRST + timedelta(days=1), count=1)
    (landing / "orders" / "dt=not-a-date").mkdir()

    def tick(cursor: str | None):
        resources = {"landing": LandingZone(root=str(landing))}
        return landing_partition_sensor(build_sensor_context(resources=resources, cursor=cursor))

    first = tick(None)
    assert requested_ranges(first) == [("2021-06-01", "2021-06-02")]  # consecutive dates: one run
    assert isinstance(tick(first.cursor), SkipReason)
    # A corrected re-export of 06-02 is a new version: a run for that date only.
    later = time.time() + 5
    os.utime(landing / "orders" / "dt=2021-06-02" / "orders.csv", (later, later))
    changed = tick(first.cursor)
    assert requested_ranges(changed) == [("2021-06-02", "2021-06-02")]
    # A re-export that adds a file is a new version, and one that only removes it again too.
    write_orders(landing, FIRST, count=1)
    (landing / "orders" / "dt=2021-06-01" / "extra.csv").write_text("order_id\n")
    with_extra = tick(changed.cursor)
    (landing / "orders" / "dt=2021-06-01" / "extra.csv").unlink()
    removed = tick(with_extra.cursor)
    assert requested_ranges(with_extra) == [("2021-06-01", "2021-06-01")]
    assert requested_ranges(removed) == [("2021-06-01", "2021-06-01")]
    keys = [
        r.run_key for result in (first, changed, with_extra, removed) for r in result.run_requests
    ]
    assert len(set(keys)) == 4

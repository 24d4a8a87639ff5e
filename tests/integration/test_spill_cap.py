"""The spill cap (LCW_DUCKDB_MAX_SPILL, DuckDB's max_temp_directory_size) stops a job that would
spill more, with DuckDB's message, on every path that writes the warehouse: Dagster's DuckDB
resource (ingestion, publish), the publish of a Spark build, and dbt.

DuckDB does not enforce the cap when it is given at connect time (orchestration/warehouse/
connection.py); a 100 M-order build filled the disk that way. Each test runs one aggregate that
spills about 100 MB under a 64 MB memory limit, with a cap of 16 MB, and then with 2 GB, under
which the same query completes (so it is the cap that stops it, not the memory).

dbt and Dagster's resource also open with the project's checkpoint threshold (1 GB of
write-ahead log, not DuckDB's 16 MB), so that a daily run does not checkpoint inside a model's
commit.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from helpers import run_command

from orchestration.cli.runner import ROOM_HINT, cause_line
from orchestration.defs.resources import WarehouseDuckDB
from orchestration.settings import CHECKPOINT_THRESHOLD, DBT_PROJECT_DIR, Settings
from orchestration.warehouse.connection import connect

SPILLING_QUERY = (
    "select count(*) as groups from (select md5(i::varchar) as s, count(*) "
    "from range(3 * 1000 * 1000) as r(i) group by s)"  # the count only in the result
)
CAPPED = "16MB"
ROOMY = "2GB"


def settings(tmp_path: Path, cap: str) -> Settings:
    return Settings(
        warehouse_path=tmp_path / "warehouse.duckdb",
        duckdb_memory_limit="64MB",
        duckdb_max_temp_directory_size=cap,
    )


def spill(conn: duckdb.DuckDBPyConnection) -> int:
    return conn.execute(SPILLING_QUERY).fetchone()[0]


@pytest.mark.parametrize("opened_by", ["dagster resource", "connect"])
def test_a_connection_that_writes_the_warehouse_keeps_to_the_cap(
    tmp_path: Path, opened_by: str
) -> None:
    def opened(cap: str):
        config = settings(tmp_path, cap).duckdb_config()
        if opened_by == "connect":
            return connect(str(tmp_path / "warehouse.duckdb"), config)
        resource = WarehouseDuckDB(
            database=str(tmp_path / "warehouse.duckdb"), connection_config=config
        )
        return resource.get_connection()

    with opened(CAPPED) as conn, pytest.raises(duckdb.OutOfMemoryException) as stopped:
        spill(conn)
    assert "max_temp_directory_size" in str(stopped.value)
    assert cause_line(str(stopped.value)).endswith(f"({ROOM_HINT})")  # what `lcw run` prints
    with opened(ROOMY) as conn:
        assert spill(conn) == 3_000_000


def test_dbt_keeps_to_the_cap(tmp_path: Path) -> None:
    def dbt_show(cap: str):
        dbt_vars = settings(tmp_path, cap).dbt_vars()
        return run_command([
            "dbt", "show", "--inline", SPILLING_QUERY,
            "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(tmp_path / "target"), "--vars", json.dumps(dbt_vars),
        ])  # fmt: skip

    stopped = dbt_show(CAPPED)
    assert stopped.returncode != 0
    assert "max_temp_directory_size" in stopped.stdout + stopped.stderr
    completed = dbt_show(ROOMY)
    assert completed.returncode == 0, completed.stdout[-3000:]
    assert "3000000" in completed.stdout


def test_dbt_and_the_resource_checkpoint_at_the_project_threshold(tmp_path: Path) -> None:
    """The checkpoint threshold (settings.CHECKPOINT_THRESHOLD) reaches dbt through the profile
    and Dagster's resource through its config; at DuckDB's default of 16 MB, a daily run
    checkpointed inside a model's commit."""
    query = "select current_setting('checkpoint_threshold') as threshold"
    config = settings(tmp_path, ROOMY)
    expected = (
        duckdb.connect(config={"checkpoint_threshold": CHECKPOINT_THRESHOLD})
        .execute(query)
        .fetchone()[0]
    )
    assert expected != duckdb.connect().execute(query).fetchone()[0]  # not DuckDB's default
    resource = WarehouseDuckDB(
        database=str(config.warehouse_path), connection_config=config.duckdb_config()
    )
    with resource.get_connection() as conn:
        assert conn.execute(query).fetchone()[0] == expected
    shown = run_command([
        "dbt", "show", "--inline", query,
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(tmp_path / "target"), "--vars", json.dumps(config.dbt_vars()),
    ])  # fmt: skip
    assert shown.returncode == 0, shown.stdout[-3000:]
    assert expected in shown.stdout

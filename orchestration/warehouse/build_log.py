"""Which export dates the next `dbt build` must process: the run's own, and every date loaded
since the last build that succeeded.

A run's window is its export dates. If ingestion loaded a date and the `dbt build` after it then
failed (a test, a crash, a killed process), the incremental models never saw that load; the next
run over another date must process it too, or its keys stay stale. So every successful build is
recorded in `raw.dbt_builds` (when it started, its window), and the window of the next build is
widened to cover every date whose load (`raw.load_audit.loaded_at`) came after the start of the
last successful one. Both times are DuckDB's `now()` in the warehouse, so they compare.

This replaces a fixed look-back of a few days before each window, which made every daily run
recompute four days of keys and still missed a failure older than the look-back.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb

from orchestration.landing.raw_tables import RAW_SCHEMA

BUILDS_TABLE = f"{RAW_SCHEMA}.dbt_builds"


def _ensure_builds_table(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {BUILDS_TABLE} (started_at TIMESTAMPTZ, "
        "window_from DATE, window_to DATE, full_refresh BOOLEAN)"
    )


def build_started_at(conn: duckdb.DuckDBPyConnection) -> datetime:
    """The warehouse's clock now: pass it to `record_build` once the build has succeeded."""
    return conn.execute("SELECT now()").fetchone()[0]


def build_window(
    conn: duckdb.DuckDBPyConnection, run_dates: tuple[date, date] | None
) -> tuple[date, date] | None:
    """The export dates (inclusive) a build must process: the run's dates widened to cover every
    date loaded since the last successful build started. None (every date) when the run has no
    dates, or when the warehouse has no record of a build, so that nothing unbuilt is missed."""
    if run_dates is None:
        return None
    last_builds = recent_builds(conn, 1)
    if not last_builds:
        return None
    audited = conn.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = ? AND table_name = 'load_audit'",
        [RAW_SCHEMA],
    ).fetchone()[0]
    if not audited:  # nothing was ever ingested (a warehouse built from the sample seeds)
        return run_dates
    [(last_start, _)] = last_builds
    first, last = conn.execute(
        f"SELECT min(partition_dt), max(partition_dt) FROM {RAW_SCHEMA}.load_audit "
        "WHERE loaded_at >= ?",
        [last_start],
    ).fetchone()
    if first is None:
        return run_dates
    return min(run_dates[0], first), max(run_dates[1], last)


def record_build(
    conn: duckdb.DuckDBPyConnection,
    started_at: datetime,
    window: tuple[date, date] | None,
    full_refresh: bool,
) -> None:
    """A build that started at `started_at` succeeded: the loads before it are built."""
    _ensure_builds_table(conn)
    first, last = window or (None, None)
    conn.execute(
        f"INSERT INTO {BUILDS_TABLE} VALUES (?, ?, ?, ?)", [started_at, first, last, full_refresh]
    )


def recent_builds(conn: duckdb.DuckDBPyConnection, count: int = 2) -> list[tuple[datetime, bool]]:
    """The last `count` successful builds, newest first: (started_at, full_refresh)."""
    _ensure_builds_table(conn)
    return conn.execute(
        f"SELECT started_at, full_refresh FROM {BUILDS_TABLE} ORDER BY started_at DESC LIMIT ?",
        [count],
    ).fetchall()

"""The raw schema ingestion writes: one table per source, the quarantine (`raw.rejected_rows`)
and the load audit (`raw.load_audit`), and what one partition load reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb

from orchestration.landing.contract import (
    LINEAGE_COLUMNS,
    SOURCES,
    SQL_TYPES,
    Source,
)
from orchestration.sql import quote_ident

RAW_SCHEMA = "raw"


@dataclass(frozen=True)
class LoadResult:
    source: str
    partition_dt: date
    files: int
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    reject_reasons: dict[str, int] = field(default_factory=dict)
    # Files (relative to the landing root) that held no bytes, and compressed files that ended
    # early (their recovered records are counted, plus one `file_truncated` reject each).
    empty_files: tuple[str, ...] = ()
    truncated_files: tuple[str, ...] = ()


def raw_table(source: Source) -> str:
    return f"{RAW_SCHEMA}.{quote_ident(source.name)}"


def ensure_raw_schema(conn: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema, one table per source, and the quarantine and audit tables (one
    query when they all exist already, as they do for every partition after the first)."""
    (missing,) = conn.execute(
        "SELECT count(*) FROM (SELECT unnest(?) AS t) WHERE t NOT IN ("
        "  SELECT table_name FROM duckdb_columns()"
        "  WHERE database_name = current_database() AND schema_name = ?"
        "  AND NOT (table_name = 'load_audit' AND column_name <> ?))",
        [[*SOURCES, "rejected_rows", "load_audit"], RAW_SCHEMA, "truncated_files"],
    ).fetchone()
    if not missing:
        return
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
    for source in SOURCES.values():
        columns = [f"{quote_ident(c.name)} {SQL_TYPES[c.kind]}" for c in source.columns]
        columns += [f"{name} {sql_type}" for name, sql_type in LINEAGE_COLUMNS]
        conn.execute(f"CREATE TABLE IF NOT EXISTS {raw_table(source)} ({', '.join(columns)})")
    conn.execute(
        f"""CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}.rejected_rows (
            source VARCHAR, partition_dt DATE, source_file VARCHAR, source_row BIGINT,
            reason_code VARCHAR, reason VARCHAR, raw_record VARCHAR)"""
    )
    conn.execute(
        f"""CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}.load_audit (
            source VARCHAR, partition_dt DATE, files INTEGER, rows_read BIGINT,
            rows_loaded BIGINT, rows_rejected BIGINT, loaded_at TIMESTAMPTZ)"""
    )
    # Added later: warehouses created before get the columns (0 for their earlier loads).
    for column in ("empty_files", "truncated_files"):
        conn.execute(
            f"ALTER TABLE {RAW_SCHEMA}.load_audit "
            f"ADD COLUMN IF NOT EXISTS {column} INTEGER DEFAULT 0"
        )


def trailing_averages_loaded(
    conn: duckdb.DuckDBPyConnection, source_name: str, dates: list[date], days: int = 7
) -> dict[date, float | None]:
    """For each of `dates`, the average rows loaded per partition over the `days` export dates
    before it that were loaded (None when there are none): the baseline of the
    row-count-drop check. One query for all the dates."""
    ensure_raw_schema(conn)
    rows = conn.execute(
        f"SELECT d.dt, avg(a.rows_loaded) FROM unnest(?::DATE[]) d(dt) "
        f"LEFT JOIN {RAW_SCHEMA}.load_audit a ON a.source = ? "
        "AND a.partition_dt < d.dt AND a.partition_dt >= d.dt - ?::INTEGER GROUP BY d.dt",
        [dates, source_name, days],
    ).fetchall()
    return {dt: None if average is None else float(average) for dt, average in rows}

"""Which landing partitions changed since they were last loaded.

A partition's fingerprint is a hash of the names, sizes and modification times of its files: a
corrected re-export, a file added or a file removed all change it. `raw.partition_fingerprints`
keeps the fingerprint each partition was last loaded with, so a run over unchanged dates can
skip them (and `lcw run` can do nothing at all when nothing changed since the last publish).
"""

from __future__ import annotations

import functools
import hashlib
from datetime import date
from pathlib import Path

import duckdb

from orchestration.landing.discovery import partition_files
from orchestration.landing.raw_tables import LoadResult

FINGERPRINTS_TABLE = "raw.partition_fingerprints"
LANDING_CODE = Path(__file__).resolve().parent


@functools.cache
def loader_version() -> str:
    """A hash of the landing package's code: when the contract or the loader changes, every
    partition counts as changed, so its rows are validated again by the new rules."""
    digest = hashlib.sha256()
    for path in sorted(LANDING_CODE.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def partition_fingerprint(landing_root: Path, source: str, dt: date) -> str:
    entries = sorted(
        (path.name, path.stat().st_size, path.stat().st_mtime_ns)
        for path in partition_files(landing_root, source, dt)
    )
    return hashlib.sha256(repr((loader_version(), entries)).encode()).hexdigest()[:16]


def ensure_fingerprints_table(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("CREATE SCHEMA IF NOT EXISTS raw")
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {FINGERPRINTS_TABLE} "
        "(source VARCHAR, partition_dt DATE, fingerprint VARCHAR, "
        "PRIMARY KEY (source, partition_dt))"
    )


def loaded_fingerprints(
    conn: duckdb.DuckDBPyConnection, source: str, first: date, last: date
) -> dict[date, str]:
    """The fingerprint each partition of `source` in [first, last] was last loaded with."""
    exists = conn.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'raw' AND table_name = 'partition_fingerprints'"
    ).fetchone()[0]
    if not exists:
        return {}
    rows = conn.execute(
        f"SELECT partition_dt, fingerprint FROM {FINGERPRINTS_TABLE} "
        "WHERE source = ? AND partition_dt BETWEEN ? AND ?",
        [source, first, last],
    ).fetchall()
    return dict(rows)


def record_fingerprints(
    conn: duckdb.DuckDBPyConnection, source: str, fingerprints: dict[date, str]
) -> None:
    """Recorded after the partitions' loads committed: a crash in between leaves the old
    fingerprints, so the next run loads those partitions again (never the other way round)."""
    if not fingerprints:
        return
    ensure_fingerprints_table(conn)
    conn.execute(
        f"INSERT OR REPLACE INTO {FINGERPRINTS_TABLE} "
        "SELECT ?, unnest(?::DATE[]), unnest(?::VARCHAR[])",
        [source, list(fingerprints), list(fingerprints.values())],
    )


def previous_load(conn: duckdb.DuckDBPyConnection, source: str, dt: date) -> LoadResult | None:
    """The counts of the last load of a partition, from the load audit and the quarantine."""
    audit = conn.execute(
        "SELECT files, rows_read, rows_loaded, rows_rejected FROM raw.load_audit "
        "WHERE source = ? AND partition_dt = ?",
        [source, dt],
    ).fetchone()
    if audit is None:
        return None
    reasons = conn.execute(
        "SELECT reason_code, count(*) FROM raw.rejected_rows "
        "WHERE source = ? AND partition_dt = ? GROUP BY 1 ORDER BY 1",
        [source, dt],
    ).fetchall()
    return LoadResult(source, dt, *audit, reject_reasons=dict(reasons))

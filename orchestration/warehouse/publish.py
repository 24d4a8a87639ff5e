"""The published read-only copy of the marts: the only DuckDB file BI users open.

DuckDB allows one writer, and a reader holding the warehouse file open would block the next
build. So after each successful build the `marts` schema (and nothing else: no raw tables, no
personal data) is copied into a new file that atomically replaces the published one.

What the copy guarantees to BI clients:
- It opens in DuckDB 1.2 and later, not only in the 2.x the project builds with: it is written
  with storage version `PUBLISHED_STORAGE_VERSION`, the oldest most BI drivers still read
  (DBeaver, Metabase and Evidence ship DuckDB 1.x).
- Every table and column carries its dbt description as a DuckDB comment (`COMMENT ON`): dbt
  writes them into the warehouse (`persist_docs` on the marts) and they are copied here.
- Beside the marts, two small load-statistics tables (DATA_QUALITY_TABLES) when the warehouse
  was filled by ingestion.
- A BI session cannot corrupt it for other readers. A DuckDB session that opens a database file
  read-write and writes keeps its changes in `<file>.wal` until it checkpoints; a session that
  dies leaves the WAL behind, and DuckDB replays whatever WAL sits beside a file into it when
  the file is next opened, even after the file was replaced by a new build (an old storage
  version replays it silently, a new one refuses: "WAL does not match database file"). So:
    * the file is written read-only (mode 0444): a read-write open by any user but root fails;
    * each publish writes a brand-new file and removes any `.wal` beside the published path just
      before the atomic rename, so a WAL left by a dead session never meets the new build.
- Readers that hold the previous copy open keep reading it undisturbed (the old inode lives on
  until they close it); a reader sees a new build by reconnecting.
"""

import os
import shutil
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.sql import quote_ident, quote_literal

PUBLISHED_SCHEMA = "marts"
# DuckDB 1.2 and every later version (2.x included) read files of this storage version.
PUBLISHED_STORAGE_VERSION = "v1.2.0"
READ_ONLY_MODE = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH  # 0444


# Load statistics for BI (the dashboard's data-quality page), aggregated from ingestion's audit
# tables at publish time: counts and reason codes only, never a rejected row's content. Each is
# (description, {column: description}, query over the warehouse).
DATA_QUALITY_TABLES: dict[str, tuple[str, dict[str, str], str]] = {
    "load_quality_daily": (
        "Ingestion per landing source and export date (raw.load_audit): files and rows read, "
        "loaded and rejected; rows_read = rows_loaded + rows_rejected.",
        {
            "partition_dt": "Export date of the landing partition (dt=YYYY-MM-DD).",
            "source": "Landing source (orders, follows, livestream_sessions, ...).",
            "files": "Files read in the partition.",
            "rows_read": "Rows read from the files.",
            "rows_loaded": "Rows that met the landing contract and were loaded into raw.",
            "rows_rejected": "Rows that broke the contract (quarantined in raw.rejected_rows).",
            "reject_ratio": "rows_rejected / rows_read; NULL when nothing was read.",
            "loaded_at": "When the partition was last loaded.",
        },
        """SELECT partition_dt, source, files, rows_read, rows_loaded, rows_rejected,
                  CASE WHEN rows_read > 0 THEN rows_rejected / rows_read END AS reject_ratio,
                  loaded_at
           FROM raw.load_audit""",
    ),
    "rejected_rows_daily": (
        "Rejected landing rows per export date, source and reason code (raw.rejected_rows; "
        "docs/landing.md explains each code). Counts only: no rejected content is published.",
        {
            "partition_dt": "Export date of the landing partition.",
            "source": "Landing source.",
            "reason_code": "Why the rows were rejected (docs/landing.md).",
            "rows_rejected": "Rows rejected for that reason.",
        },
        """SELECT partition_dt, source, reason_code, count(*) AS rows_rejected
           FROM raw.rejected_rows GROUP BY partition_dt, source, reason_code""",
    ),
}


def build_stamp_path(published_path: Path) -> Path:
    """Beside the published file: the start time of the build it holds (warehouse.build_log)."""
    return published_path.with_name(published_path.name + ".build")


def wal_path(database_path: Path) -> Path:
    """Where DuckDB keeps the write-ahead log of a database file."""
    return database_path.with_name(database_path.name + ".wal")


def _mart_tables(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, str | None]]:
    return conn.execute(
        "SELECT table_name, comment FROM duckdb_tables() "
        "WHERE database_name = current_database() AND schema_name = ? ORDER BY table_name",
        [PUBLISHED_SCHEMA],
    ).fetchall()


def _column_comments(conn: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return conn.execute(
        "SELECT column_name, comment FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = ? AND table_name = ? "
        "AND comment IS NOT NULL ORDER BY column_index",
        [PUBLISHED_SCHEMA, table],
    ).fetchall()


def _has_load_audit(conn: duckdb.DuckDBPyConnection) -> bool:
    """Ingestion's audit tables exist (not in a warehouse built from the sample seeds)."""
    found = conn.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'raw' AND table_name IN ('load_audit', 'rejected_rows')"
    ).fetchone()[0]
    return found == 2


@dataclass(frozen=True)
class Patch:
    """Rewrite only some rows of one large mart: the previous published copy is copied, and in
    `table` the rows matching `changed` (a condition over the warehouse's tables) are deleted
    and the same rows as the build left them (`rows_after`, a relation of the warehouse)
    inserted; every other table is copied in full as usual. Valid only when the previous copy
    holds the build just before this one, and this build changed no other rows of `table` (the
    caller checks both)."""

    table: str
    changed: str
    rows_after: str


# The marts as large as the history. A build rewrites only some of their rows, so a publish after
# it patches those rows into a copy of the previous published file instead of rewriting (and
# reading) every row again:
# - fct_orders (one row per order): the rows of the buyers the build touched
#   (int_touched_buyers), which it keeps as it left them (fct_orders__after);
# - fct_livestream_sessions (one row per session): the sessions it recomputed
#   (int_changed_sessions, its `recompute_in`).
_CHANGED_SESSIONS = "session_id IN (SELECT session_id FROM intermediate.int_changed_sessions)"
INCREMENTAL_PATCHES = (
    Patch(
        "fct_orders",
        "buyer_id IN (SELECT buyer_id FROM intermediate.int_touched_buyers)",
        "intermediate.fct_orders__after",
    ),
    Patch(
        "fct_livestream_sessions",
        _CHANGED_SESSIONS,
        f"(SELECT * FROM {PUBLISHED_SCHEMA}.fct_livestream_sessions WHERE {_CHANGED_SESSIONS})",
    ),
)


def publish_marts(conn: duckdb.DuckDBPyConnection, published_path: Path) -> dict[str, int]:
    """Copy every table of the warehouse's `marts` schema, with its comments, into a new file
    and let it replace `published_path` atomically. Returns the row count of each table."""
    rows, _ = publish_marts_patching(conn, published_path, ())
    return rows


def publish_marts_patching(
    conn: duckdb.DuckDBPyConnection, published_path: Path, patches: Sequence[Patch]
) -> tuple[dict[str, int], list[str]]:
    """`publish_marts`, but with `patches` (and a previous copy) the new file starts as a copy
    of the previous one, and each patch's table that has the warehouse's columns there is only
    patched. Returns the row counts and the tables patched."""
    published_path.parent.mkdir(parents=True, exist_ok=True)
    staging_path = published_path.with_name(published_path.name + ".publishing")
    staging_path.unlink(missing_ok=True)
    wal_path(staging_path).unlink(missing_ok=True)
    schema = f"publishing.{PUBLISHED_SCHEMA}"
    patching: dict[str, Patch] = {}
    if patches and published_path.exists():
        shutil.copyfile(published_path, staging_path)  # a new file, writable by its owner
        conn.execute(f"ATTACH {quote_literal(str(staging_path))} AS publishing")
        patching = {
            patch.table: patch
            for patch in patches
            if (columns := _columns(conn, None, patch.table))
            and _columns(conn, "publishing", patch.table) == columns
        }
        if not patching:  # nothing to patch: a new file, in the storage version BI reads
            conn.execute("DETACH publishing")
            staging_path.unlink()
    if not patching:
        conn.execute(
            f"ATTACH {quote_literal(str(staging_path))} AS publishing "
            f"(STORAGE_VERSION {quote_literal(PUBLISHED_STORAGE_VERSION)})"
        )
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        rows = {}
        for table, comment in _mart_tables(conn):
            target = f"{schema}.{quote_ident(table)}"
            source = f"{PUBLISHED_SCHEMA}.{quote_ident(table)}"
            if table in patching:
                conn.execute(f"DELETE FROM {target} WHERE {patching[table].changed}")
                conn.execute(f"INSERT INTO {target} SELECT * FROM {patching[table].rows_after}")
            else:
                conn.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM {source}")
            _copy_comments(conn, table, target, comment)
            rows[table] = conn.execute(f"SELECT count(*) FROM {target}").fetchone()[0]
        if _has_load_audit(conn):
            for table, (comment, column_comments, sql) in DATA_QUALITY_TABLES.items():
                target = f"{schema}.{quote_ident(table)}"
                conn.execute(f"CREATE OR REPLACE TABLE {target} AS {sql}")
                conn.execute(f"COMMENT ON TABLE {target} IS {quote_literal(comment)}")
                for column, column_comment in column_comments.items():
                    conn.execute(
                        f"COMMENT ON COLUMN {target}.{quote_ident(column)} "
                        f"IS {quote_literal(column_comment)}"
                    )
                rows[table] = conn.execute(f"SELECT count(*) FROM {target}").fetchone()[0]
        if patching:  # a mart the warehouse no longer has
            for (table,) in conn.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'publishing' "
                "AND schema_name = ?",
                [PUBLISHED_SCHEMA],
            ).fetchall():
                if table not in rows:
                    conn.execute(f"DROP TABLE {schema}.{quote_ident(table)}")
        # Everything into the file itself, so that no .wal travels with it.
        conn.execute("CHECKPOINT publishing")
    finally:
        conn.execute("DETACH publishing")
    os.chmod(staging_path, READ_ONLY_MODE)
    # A WAL beside the published path belongs to a session that wrote into the previous copy;
    # it must not be replayed into the new one.
    wal_path(published_path).unlink(missing_ok=True)
    os.replace(staging_path, published_path)
    return rows, sorted(patching)


def _copy_comments(
    conn: duckdb.DuckDBPyConnection, table: str, target: str, comment: str | None
) -> None:
    if comment:
        conn.execute(f"COMMENT ON TABLE {target} IS {quote_literal(comment)}")
    for column, column_comment in _column_comments(conn, table):
        conn.execute(
            f"COMMENT ON COLUMN {target}.{quote_ident(column)} IS {quote_literal(column_comment)}"
        )


def _columns(conn: duckdb.DuckDBPyConnection, database: str | None, table: str) -> list[tuple]:
    """Names and types of a marts table, in order (in the warehouse when `database` is None)."""
    return conn.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = "
        "coalesce(?, current_database()) AND schema_name = ? AND table_name = ? "
        "ORDER BY column_index",
        [database, PUBLISHED_SCHEMA, table],
    ).fetchall()

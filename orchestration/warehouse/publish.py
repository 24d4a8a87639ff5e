"""The published read-only copy of the marts: the only DuckDB file BI users open.

DuckDB allows one writer, and a reader holding the warehouse file open would block the next
build. So after each successful build the `marts` schema (and nothing else: no raw tables, no
personal data) is copied into a new file that atomically replaces the published one. Readers
that still hold the previous copy keep reading it undisturbed.
"""

import os
from pathlib import Path

import duckdb

from orchestration.sql import quote_literal

PUBLISHED_SCHEMA = "marts"


def publish_marts(conn: duckdb.DuckDBPyConnection, published_path: Path) -> dict[str, int]:
    """Copy every table of the warehouse's `marts` schema into `published_path`, atomically."""
    published_path.parent.mkdir(parents=True, exist_ok=True)
    staging_path = published_path.with_name(published_path.name + ".publishing")
    staging_path.unlink(missing_ok=True)
    tables = [
        name
        for (name,) in conn.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_catalog = current_database() AND table_schema = ? ORDER BY 1",
            [PUBLISHED_SCHEMA],
        ).fetchall()
    ]
    conn.execute(f"ATTACH {quote_literal(str(staging_path))} AS publishing")
    try:
        conn.execute(f"CREATE SCHEMA publishing.{PUBLISHED_SCHEMA}")
        rows = {}
        for table in tables:
            conn.execute(
                f'CREATE TABLE publishing.{PUBLISHED_SCHEMA}."{table}" AS '
                f'SELECT * FROM {PUBLISHED_SCHEMA}."{table}"'
            )
            rows[table] = conn.execute(
                f'SELECT count(*) FROM publishing.{PUBLISHED_SCHEMA}."{table}"'
            ).fetchone()[0]
    finally:
        conn.execute("DETACH publishing")
    os.replace(staging_path, published_path)
    return rows

"""The published copy after a Spark build: the same DuckDB file, names and column types.

On Spark, every mart is written, once built, as Parquet to `<lake>/for_publishing/<mart>/`
(dbt post-hook `export_for_publishing`). Here DuckDB reads those folders into a `marts` schema
of an in-memory database, and the one publish step (`publish_marts`) copies that schema into
the published file, atomically, exactly as after a DuckDB build. No Spark session is needed:
DuckDB reads the Parquet natively, with Spark's column order and types (int, bigint,
decimal(p, s), double, date, string as VARCHAR, timestamp as TIMESTAMP WITH TIME ZONE).

So that a BI user cannot tell which engine built the copy, two things a DuckDB build keeps in the
warehouse are added before publishing: each mart's and column's dbt description as a `COMMENT
ON` (from the manifest of the Spark build; dbt writes them into DuckDB via `persist_docs`), and
ingestion's audit tables (`raw.load_audit`, `raw.rejected_rows`, copied from the warehouse file,
where ingestion loads them on either engine) for the load-statistics tables.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import duckdb

from orchestration.sql import quote_ident, quote_literal
from orchestration.warehouse.connection import connect
from orchestration.warehouse.publish import PUBLISHED_SCHEMA, publish_marts

EXPORT_FOLDER = "for_publishing"


class MissingMartError(RuntimeError):
    """A mart the build should have written for publishing is not in the lake."""


def exported_marts_root(lake_root: Path) -> Path:
    return lake_root / EXPORT_FOLDER


def read_exported_marts(
    conn: duckdb.DuckDBPyConnection, lake_root: Path, marts: Sequence[str]
) -> None:
    """Create `marts.<mart>` in `conn` from each mart's Parquet folder in the lake."""
    root = exported_marts_root(lake_root)
    missing = [name for name in marts if not any((root / name).glob("*.parquet"))]
    if missing:
        raise MissingMartError(
            f"no Parquet written for publishing under {root} for: {', '.join(missing)} "
            "(was the Spark build run with this lake root?)"
        )
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {PUBLISHED_SCHEMA}")
    for name in marts:
        files = quote_literal(str(root / name / "*.parquet"))
        conn.execute(
            f"CREATE OR REPLACE TABLE {PUBLISHED_SCHEMA}.{quote_ident(name)} AS "
            f"SELECT * FROM read_parquet({files}, hive_partitioning = false)"
        )


def comment_marts(conn: duckdb.DuckDBPyConnection, manifest_path: Path) -> None:
    """Give `marts.<mart>` in `conn`, and its columns, their descriptions from the dbt manifest,
    as `persist_docs` does on DuckDB (a column without a description gets no comment)."""
    manifest = json.loads(manifest_path.read_text())
    present = {
        table: {column for (column,) in conn.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = ? AND table_name = ?", [PUBLISHED_SCHEMA, table]
        ).fetchall()}
        for (table,) in conn.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = ?", [PUBLISHED_SCHEMA]
        ).fetchall()
    }  # fmt: skip
    for node in manifest["nodes"].values():
        name = node.get("alias") or node["name"]
        if node["resource_type"] != "model" or name not in present:
            continue
        target = f"{PUBLISHED_SCHEMA}.{quote_ident(name)}"
        if node.get("description"):
            conn.execute(f"COMMENT ON TABLE {target} IS {quote_literal(node['description'])}")
        for column in node.get("columns", {}).values():
            if column.get("description") and column["name"] in present[name]:
                conn.execute(
                    f"COMMENT ON COLUMN {target}.{quote_ident(column['name'])} "
                    f"IS {quote_literal(column['description'])}"
                )


def copy_load_audit(conn: duckdb.DuckDBPyConnection, warehouse_path: Path) -> None:
    """Ingestion's audit tables from the warehouse file into `raw` of `conn` (when it has them),
    for the load-statistics tables `publish_marts` adds."""
    conn.execute(f"ATTACH {quote_literal(str(warehouse_path))} AS warehouse (READ_ONLY)")
    try:
        tables = {
            table
            for (table,) in conn.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'warehouse' "
                "AND schema_name = 'raw' AND table_name IN ('load_audit', 'rejected_rows')"
            ).fetchall()
        }
        if len(tables) == 2:
            conn.execute("CREATE SCHEMA IF NOT EXISTS raw")
            for table in sorted(tables):
                conn.execute(f"CREATE TABLE raw.{table} AS SELECT * FROM warehouse.raw.{table}")
    finally:
        conn.execute("DETACH warehouse")


def publish_spark_marts(
    lake_root: Path,
    marts: Sequence[str],
    published_path: Path,
    config: dict[str, str],
    manifest_path: Path | None = None,
    warehouse_path: Path | None = None,
) -> dict[str, int]:
    """Publish the marts a Spark build wrote into the lake as the BI copy at `published_path`,
    with the descriptions of `manifest_path` and the load statistics of `warehouse_path`."""
    with connect(":memory:", config) as conn:
        read_exported_marts(conn, lake_root, marts)
        if manifest_path is not None:
            comment_marts(conn, manifest_path)
        if warehouse_path is not None and warehouse_path.exists():
            copy_load_audit(conn, warehouse_path)
        return publish_marts(conn, published_path)

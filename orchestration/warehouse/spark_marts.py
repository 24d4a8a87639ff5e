"""The published copy after a Spark build: the same DuckDB file, names and column types.

On Spark, every mart is written, once built, as Parquet to `<lake>/for_publishing/<mart>/`
(dbt post-hook `export_for_publishing`). Here DuckDB reads those folders into a `marts` schema
of an in-memory database, and the one publish step (`publish_marts`) copies that schema into
the published file, atomically, exactly as after a DuckDB build. No Spark session is needed:
DuckDB reads the Parquet natively, with Spark's column order and types (int, bigint,
decimal(p, s), double, date, string as VARCHAR, timestamp as TIMESTAMP WITH TIME ZONE).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from orchestration.sql import quote_ident, quote_literal
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


def publish_spark_marts(
    lake_root: Path, marts: Sequence[str], published_path: Path, config: dict[str, str]
) -> dict[str, int]:
    """Publish the marts a Spark build wrote into the lake as the BI copy at `published_path`."""
    with duckdb.connect(":memory:", config=config) as conn:
        read_exported_marts(conn, lake_root, marts)
        return publish_marts(conn, published_path)

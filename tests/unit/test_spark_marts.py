"""Publishing after a Spark build: the marts' Parquet folders in the lake become the same
published DuckDB copy (names, column order, types) through the one publish step."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from helpers import mart_tables, query

from orchestration.warehouse.spark_marts import (
    MissingMartError,
    exported_marts_root,
    publish_spark_marts,
)


def write_mart(lake: Path, name: str, select: str) -> None:
    folder = exported_marts_root(lake) / name
    folder.mkdir(parents=True)
    with duckdb.connect() as conn:
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute(f"COPY ({select}) TO '{folder}/part-00000.parquet' (FORMAT PARQUET)")
    (folder / "_SUCCESS").write_text("")  # Spark's marker file is not data


def test_marts_from_the_lake_are_published_with_their_types(tmp_path: Path) -> None:
    lake, published = tmp_path / "lake", tmp_path / "published" / "live_commerce.duckdb"
    write_mart(
        lake,
        "gmv_daily",
        "SELECT DATE '2021-06-15' AS day, 2::BIGINT AS orders, 150.00::DECIMAL(18,2) AS gmv, "
        "0.5::DOUBLE AS share, TIMESTAMPTZ '2021-06-15 16:00:00+00' AS first_paid_at",
    )
    write_mart(lake, "empty_mart", "SELECT 'x'::VARCHAR AS scope, 1::INTEGER AS n WHERE false")
    rows = publish_spark_marts(lake, ["gmv_daily", "empty_mart"], published, {})
    assert rows == {"empty_mart": 0, "gmv_daily": 1}
    assert mart_tables(published) == {
        "empty_mart": [("scope", "VARCHAR"), ("n", "INTEGER")],
        "gmv_daily": [
            ("day", "DATE"),
            ("orders", "BIGINT"),
            ("gmv", "DECIMAL(18,2)"),
            ("share", "DOUBLE"),
            ("first_paid_at", "TIMESTAMP WITH TIME ZONE"),
        ],
    }
    (instant,) = query(published, "SELECT epoch(first_paid_at) FROM marts.gmv_daily")[0]
    assert instant == 1623772800  # the same instant, whatever the zones


def test_a_mart_missing_from_the_lake_is_named_and_nothing_is_published(tmp_path: Path) -> None:
    lake, published = tmp_path / "lake", tmp_path / "published.duckdb"
    write_mart(lake, "gmv_daily", "SELECT 1 AS orders")
    with pytest.raises(MissingMartError, match="for: fct_orders"):
        publish_spark_marts(lake, ["gmv_daily", "fct_orders"], published, {})
    assert not published.exists()

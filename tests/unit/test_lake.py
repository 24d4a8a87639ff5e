"""The spark engine's raw layer: each loaded partition exported from DuckDB `raw` to Parquet in
the lake, with the same rows and accounting, replaced whole on a re-load."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
from helpers import VALID_ORDER, write_csv

from orchestration.landing.lake import (
    accounting_partition_dir,
    export_partition,
    exported_fingerprint,
    replace_directory,
    source_partition_dir,
)
from orchestration.landing.loader import load_partition

DT = date(2021, 6, 15)


def load_and_export(conn: duckdb.DuckDBPyConnection, landing: Path, lake: Path, rows: list[dict]):
    write_csv(landing / "orders" / f"dt={DT}" / "orders.csv", rows)
    result = load_partition(conn, landing, "orders", DT)
    export_partition(conn, lake, "orders", DT, fingerprint=f"{len(rows)} rows")
    return result


def test_a_partition_reaches_the_lake_with_its_accounting(tmp_path: Path) -> None:
    landing, lake = tmp_path / "landing", tmp_path / "lake" / "raw"
    rows = [VALID_ORDER, {**VALID_ORDER, "order_id": "008", "status": "lost"}]
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        result = load_and_export(conn, landing, lake, rows)
        assert (result.rows_loaded, result.rows_rejected) == (1, 1)
        in_raw = conn.execute("SELECT * FROM raw.orders ORDER BY order_id").fetchall()
        in_lake = conn.execute(
            "SELECT * FROM read_parquet(?, hive_partitioning = false)",
            [str(source_partition_dir(lake, "orders", DT) / "*.parquet")],
        ).fetchall()
        assert in_lake == in_raw
        # Money stays decimal and instants keep their zone in the Parquet schema.
        types = dict(
            conn.execute(
                "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(?))",
                [str(source_partition_dir(lake, "orders", DT) / "*.parquet")],
            ).fetchall()
        )
        assert types["paid_amount"] == "DECIMAL(18,2)"
        assert types["paid_at"] == "TIMESTAMP WITH TIME ZONE"
        rejected = accounting_partition_dir(lake, "rejected_rows", "orders", DT)
        (reason,) = conn.execute(
            "SELECT reason_code FROM read_parquet(?)", [str(rejected / "*")]
        ).fetchone()
        assert reason == "status_not_allowed"
        audit = accounting_partition_dir(lake, "load_audit", "orders", DT)
        assert conn.execute(
            "SELECT rows_read, rows_loaded, rows_rejected FROM read_parquet(?)", [str(audit / "*")]
        ).fetchall() == [(2, 1, 1)]


def test_a_reload_replaces_the_partition_and_an_empty_one_keeps_its_schema(tmp_path: Path) -> None:
    landing, lake = tmp_path / "landing", tmp_path / "lake" / "raw"
    folder = source_partition_dir(lake, "orders", DT)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        load_and_export(conn, landing, lake, [VALID_ORDER, {**VALID_ORDER, "order_id": "9"}])
        load_and_export(conn, landing, lake, [VALID_ORDER])
        assert conn.execute(
            "SELECT count(*) FROM read_parquet(?)", [f"{folder}/*.parquet"]
        ).fetchone() == (1,)
        (landing / "orders" / f"dt={DT}" / "orders.csv").unlink()
        load_partition(conn, landing, "orders", DT)
        export_partition(conn, lake, "orders", DT, fingerprint="no files")
        described = conn.execute("DESCRIBE SELECT * FROM read_parquet(?)", [f"{folder}/*.parquet"])
        assert len(described.fetchall()) > 10
        assert conn.execute(
            "SELECT count(*) FROM read_parquet(?)", [f"{folder}/*.parquet"]
        ).fetchone() == (0,)
    # The copy says which files it was exported from (ingestion compares it with raw's).
    assert exported_fingerprint(lake, "orders", DT) == "no files"
    assert exported_fingerprint(lake, "orders", date(2021, 6, 16)) is None
    # Nothing is left beside the partitions (hidden write and retire folders are gone).
    assert sorted(p.name for p in folder.parent.iterdir()) == [f"dt={DT}"]


def test_a_failed_write_keeps_the_previous_partition(tmp_path: Path) -> None:
    final = tmp_path / "dt=2021-06-15"
    replace_directory(final, lambda folder: (folder / "part-0.parquet").write_text("old"))

    def fail(folder: Path) -> None:
        (folder / "part-0.parquet").write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        replace_directory(final, fail)
    assert (final / "part-0.parquet").read_text() == "old"
    replace_directory(final, lambda folder: (folder / "part-0.parquet").write_text("new"))
    assert (final / "part-0.parquet").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dt=2021-06-15"]

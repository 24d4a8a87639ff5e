"""The raw layer as Parquet for the spark engine: each loaded partition, exported from DuckDB.

Ingestion validates and loads a partition into DuckDB `raw` exactly as for the duckdb engine
(`loader.py`); this module then writes what that partition holds, DuckDB's `COPY ... TO` doing
the writing, under the lake root where Spark reads it:

    <lake>/raw/<source>/dt=YYYY-MM-DD/part-0.parquet                 validated rows
    <lake>/raw/rejected_rows/source=<source>/dt=YYYY-MM-DD/part-0.parquet
    <lake>/raw/load_audit/source=<source>/dt=YYYY-MM-DD/part-0.parquet

The same rows and the same accounting as `raw.*`, because they are copied from it. Every
partition gets a folder, with a file of zero rows when it loaded nothing, so that Spark always
finds each table's schema. A partition is replaced whole: written into a hidden folder beside
it, then renamed into place (Spark skips folders whose names start with `.`), so a reader never
sees half a partition. The partition columns of rejected_rows and load_audit (source, dt) live
in the folder names only, as Spark's partition discovery wants; the views over the lake give
them back their DuckDB names (macro `register_lake_sources`).

Each source partition folder also holds `_fingerprint`: the landing fingerprint (fingerprints.py)
of the files `raw` held that partition from when it was exported. Ingestion compares it with
what `raw` holds now, so a partition that a duckdb-engine run reloaded in between (the lake
untouched) is exported again on the next spark-engine run instead of being read stale. Spark and
`*.parquet` globs skip names that start with `_`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb

from orchestration.landing.contract import SOURCES
from orchestration.landing.raw_tables import RAW_SCHEMA, raw_table
from orchestration.sql import quote_literal

PART_FILE = "part-0.parquet"
FINGERPRINT_FILE = "_fingerprint"
# The two bookkeeping tables, keyed by (source, partition_dt) in DuckDB.
ACCOUNTING_TABLES = ("rejected_rows", "load_audit")


def source_partition_dir(lake_raw: Path, source_name: str, dt: date) -> Path:
    return lake_raw / source_name / f"dt={dt.isoformat()}"


def accounting_partition_dir(lake_raw: Path, table: str, source_name: str, dt: date) -> Path:
    return lake_raw / table / f"source={source_name}" / f"dt={dt.isoformat()}"


def replace_directory(final: Path, write: Callable[[Path], None]) -> None:
    """Write a directory's new content into a hidden sibling, then swap it into place.

    Two renames: the old folder aside, the new one in. Between them the partition is briefly
    absent (never half-written); the spark engine's dbt build runs after ingestion, not during.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    writing = final.with_name(f".{final.name}.writing")
    retired = final.with_name(f".{final.name}.old")
    for leftover in (writing, retired):
        shutil.rmtree(leftover, ignore_errors=True)
    writing.mkdir()
    write(writing)
    if final.exists():
        os.replace(final, retired)
    os.replace(writing, final)
    shutil.rmtree(retired, ignore_errors=True)


def _copy_to_parquet(conn: duckdb.DuckDBPyConnection, query: str, folder: Path) -> None:
    target = quote_literal(str(folder / PART_FILE))
    conn.execute(f"COPY ({query}) TO {target} (FORMAT PARQUET)")


def exported_fingerprint(lake_raw: Path, source_name: str, dt: date) -> str | None:
    """The landing fingerprint the lake's copy of a partition was exported from; None when the
    lake does not hold the partition (or holds it from before fingerprints were stamped)."""
    try:
        return (source_partition_dir(lake_raw, source_name, dt) / FINGERPRINT_FILE).read_text()
    except FileNotFoundError:
        return None


def export_partition(
    conn: duckdb.DuckDBPyConnection, lake_raw: Path, source_name: str, dt: date, fingerprint: str
) -> None:
    """Write partition `dt` of one source, as `raw` now holds it (loaded from landing files with
    `fingerprint`), into the lake with its rejected rows and audit row, replacing what the lake
    held for it. The source folder, with its fingerprint, goes last: a matching fingerprint
    means all three were written."""
    source = SOURCES[source_name]
    day = f"DATE {quote_literal(dt.isoformat())}"
    for table in ACCOUNTING_TABLES:
        accounting = (
            f"SELECT * EXCLUDE (source, partition_dt) FROM {RAW_SCHEMA}.{table} "
            f"WHERE source = {quote_literal(source_name)} AND partition_dt = {day}"
        )
        replace_directory(
            accounting_partition_dir(lake_raw, table, source_name, dt),
            lambda folder, query=accounting: _copy_to_parquet(conn, query, folder),
        )
    rows = f"SELECT * FROM {raw_table(source)} WHERE _partition_dt = {day}"

    def write_rows(folder: Path) -> None:
        _copy_to_parquet(conn, rows, folder)
        (folder / FINGERPRINT_FILE).write_text(fingerprint)

    replace_directory(source_partition_dir(lake_raw, source_name, dt), write_rows)

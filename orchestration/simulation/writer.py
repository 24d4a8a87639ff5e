"""Writing landing partitions: every file format, partition replacement and money, once.

A partition is replaced, never appended to: its landing files are removed before the new ones
are written, so re-runs never leave stale files. Files are written two ways:

- `write_rows`: rows already in Python (the edge-case simulator), in the format the file name's
  suffix says; CSV and JSON Lines by the standard library, Parquet by pyarrow (snappy).
- `write_query`: a DuckDB query over a batch of numpy columns (the calibrated simulator), which
  DuckDB renders and writes itself, so a 100 M-order run never moves rows through Python.

The two ways write different bytes for the same format (Parquet compression, number rendering);
each simulator keeps its own, because every figure of the project is computed on those bytes.
Gzip headers carry no mtime, so the same rows give the same file.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.landing.contract import LANDING_FILE_SUFFIXES, SOURCES


def money_text(cents: int | None) -> str:
    """Integer cents as a decimal CNY string ('' for none): exact, never through a float."""
    return "" if cents is None else f"{cents // 100}.{cents % 100:02d}"


def money_sql(column: str) -> str:
    """Integer cents to decimal(18,2): exact, since cents / 100 as a double rounds back."""
    return f"({column} / 100)::decimal(18,2)"


@dataclass(frozen=True)
class RowsFile:
    """One landing file of rows held in Python; its format follows from the name's suffix."""

    name: str
    columns: tuple[str, ...]
    rows: Sequence[Sequence[object]]  # text values, or typed values for Parquet
    schema: pa.Schema | None = None  # Parquet only


def _encode_rows(file: RowsFile) -> bytes:
    if file.name.endswith((".csv", ".csv.gz")):
        buf = io.StringIO()
        out = csv.writer(buf, lineterminator="\n")
        out.writerow(file.columns)
        out.writerows(file.rows)
        data = buf.getvalue().encode("utf-8")
    elif file.name.endswith((".jsonl", ".jsonl.gz")):
        lines = (
            json.dumps(dict(zip(file.columns, row, strict=True)), ensure_ascii=False) + "\n"
            for row in file.rows
        )
        data = "".join(lines).encode("utf-8")
    else:
        raise ValueError(f"not a text landing file: {file.name}")
    return gzip.compress(data, mtime=0) if file.name.endswith(".gz") else data


def _write_parquet(path: Path, file: RowsFile) -> None:
    if file.schema is None:
        raise ValueError(f"{file.name}: a Parquet file needs a schema")
    values = [[row[k] for row in file.rows] for k in range(len(file.columns))]
    arrays = [pa.array(v, type=f.type) for v, f in zip(values, file.schema, strict=True)]
    pq.write_table(pa.table(arrays, schema=file.schema), path, compression="snappy")


def _copy_options(file_format: str) -> str:
    """DuckDB COPY options for a landing format (parquet, csv, csv.gz, jsonl, jsonl.gz)."""
    if file_format == "parquet":
        options = "format parquet, compression zstd"
    elif file_format.startswith("csv"):
        options = "format csv, header true"
    else:
        options = "format json"
    if file_format.endswith(".gz"):
        options += ", compression gzip"
    return options


class LandingWriter:
    """Replaces partitions of a landing zone and counts the files and rows it wrote.

    `keep_empty_partitions`: whether a partition folder emptied by a re-run stays. The loader
    lists folders, so a kept empty folder is loaded as "no records", while a removed one is not
    loaded at all. The edge-case simulator removes it, the calibrated one keeps it.
    """

    def __init__(self, landing_dir: Path, keep_empty_partitions: bool) -> None:
        self.landing_dir = landing_dir
        self.keep_empty_partitions = keep_empty_partitions
        self.rows: dict[str, int] = dict.fromkeys(SOURCES, 0)
        self.files = 0
        self._conn: duckdb.DuckDBPyConnection | None = None

    def _clear(self, source: str, dt: date) -> Path:
        """The partition's folder, without the landing files a previous run wrote there."""
        part = self.landing_dir / source / f"dt={dt.isoformat()}"
        if part.is_dir():
            for path in sorted(part.iterdir()):
                if path.is_file() and path.name.endswith(LANDING_FILE_SUFFIXES):
                    path.unlink()
        return part

    def _done(self, part: Path) -> None:
        if not self.keep_empty_partitions and part.is_dir() and not any(part.iterdir()):
            part.rmdir()

    def write_rows(self, source: str, dt: date, files: Sequence[RowsFile]) -> None:
        part = self._clear(source, dt)
        for file in files:
            part.mkdir(parents=True, exist_ok=True)
            if file.name.endswith(".parquet"):
                _write_parquet(part / file.name, file)
            else:
                (part / file.name).write_bytes(_encode_rows(file))
            self.files += 1
            self.rows[source] += len(file.rows)
        self._done(part)

    def write_query(
        self, source: str, dt: date, batch: pa.Table, select: str, file_format: str
    ) -> None:
        """Write `select`, a query over `batch`, as the partition's one file `part-0.<format>`."""
        part = self._clear(source, dt)
        if batch.num_rows:
            part.mkdir(parents=True, exist_ok=True)
            conn = self._duckdb()
            conn.register("batch", batch)
            path = part / f"part-0.{file_format}"
            conn.execute(f"copy ({select}) to '{path}' ({_copy_options(file_format)})")
            conn.unregister("batch")
            self.rows[source] += batch.num_rows
            self.files += 1
        self._done(part)

    def _duckdb(self) -> duckdb.DuckDBPyConnection:
        if self._conn is None:
            self._conn = duckdb.connect()
            self._conn.execute("set enable_progress_bar = false; set TimeZone = 'Asia/Shanghai'")
        return self._conn

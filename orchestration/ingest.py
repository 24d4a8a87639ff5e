"""Load one export-date partition of one landing source into the warehouse `raw` schema.

DuckDB reads the files natively; Python only builds SQL from the contract in
`landing_contract.py`. Every row read ends up in exactly one place: `raw.<source>` when it keeps
the contract, `raw.rejected_rows` (file, row, reason, raw record) when it does not. A partition
is replaced inside one transaction, so a re-run never duplicates and a crash keeps the previous
good state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from orchestration.landing_contract import (
    LANDING_FILE_SUFFIXES,
    LINEAGE_COLUMNS,
    REPORTING_TIME_ZONE,
    SOURCES,
    SQL_TYPES,
    Column,
    Source,
)

RAW_SCHEMA = "raw"
PARTITION_DIR = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class LoadResult:
    source: str
    partition_dt: date
    files: int
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    reject_reasons: dict[str, int] = field(default_factory=dict)


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def raw_table(source: Source) -> str:
    return f"{RAW_SCHEMA}.{quote_ident(source.name)}"


def ensure_raw_schema(conn: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema, one table per source, and the quarantine and audit tables."""
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


def list_partitions(landing_root: Path, source: str) -> list[date]:
    """Export dates that have a `dt=YYYY-MM-DD` folder for this source (other folders ignored)."""
    source_dir = landing_root / source
    if not source_dir.is_dir():
        return []
    found = []
    for child in source_dir.iterdir():
        match = PARTITION_DIR.match(child.name)
        if child.is_dir() and match:
            try:
                found.append(date.fromisoformat(match.group(1)))
            except ValueError:
                continue
    return sorted(found)


def partition_files(landing_root: Path, source: str, dt: date) -> list[Path]:
    folder = landing_root / source / f"dt={dt.isoformat()}"
    if not folder.is_dir():
        return []
    # Names starting with '.' or '_' are markers (_SUCCESS, .crc), not data.
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "_")))


def _reader_sql(path: Path, source: Source) -> str:
    """A relation with every column of the file as text, the file row number and the raw record."""
    name = path.name.lower()
    location = quote_literal(str(path))
    if name.endswith(".parquet"):
        scan = f"read_parquet({location}, hive_partitioning = false)"
    elif name.endswith((".csv", ".csv.gz")):
        scan = f"read_csv({location}, header = true, all_varchar = true, hive_partitioning = false)"
    elif name.endswith((".jsonl", ".jsonl.gz")):
        # The expected columns are given, so nothing is guessed from the first rows.
        columns = ", ".join(f"{quote_literal(c)}: 'VARCHAR'" for c in source.column_names)
        scan = (
            f"read_json({location}, format = 'newline_delimited', columns = {{{columns}}}, "
            "hive_partitioning = false)"
        )
    else:
        raise ValueError(f"unsupported file type (expected one of {LANDING_FILE_SUFFIXES})")
    # DuckDB preserves insertion order, so row_number() over the scan is the file's row number.
    return (
        "SELECT row_number() OVER () AS _source_row, to_json(f)::VARCHAR AS _raw, f.* "
        f"FROM {scan} f"
    )


def _typed_sql(column: Column, text: str) -> str:
    """SQL that turns the text value of a column into its contract type (NULL if unparseable)."""
    if column.kind in ("id", "string", "enum"):
        return f"nullif({text}, '')"
    if column.kind == "integer":
        return (
            f"CASE WHEN regexp_full_match(trim({text}), '[+-]?[0-9]+(\\.0+)?') "
            f"THEN TRY_CAST(TRY_CAST(trim({text}) AS DECIMAL(38, 2)) AS BIGINT) END"
        )
    if column.kind == "money":
        return (
            f"CASE WHEN TRY_CAST(trim({text}) AS DECIMAL(38, 6)) "
            f"= round(TRY_CAST(trim({text}) AS DECIMAL(38, 6)), 2) "
            f"THEN TRY_CAST(TRY_CAST(trim({text}) AS DECIMAL(38, 6)) AS DECIMAL(18, 2)) END"
        )
    if column.kind == "timestamp":
        # A value without an offset is read in the session time zone, Asia/Shanghai.
        return f"TRY_CAST(trim({text}) AS TIMESTAMPTZ)"
    raise ValueError(column.kind)


def _reject_reason_cases(source: Source) -> list[tuple[str, str, str]]:
    """(condition over text `v_<col>` and typed columns, reason code, message), first match wins."""
    cases: list[tuple[str, str, str]] = []
    for c in source.columns:
        text, typed = f"v_{c.name}", quote_ident(c.name)
        present = f"nullif({text}, '') IS NOT NULL"
        if c.required:
            cases.append((f"NOT ({present})", f"{c.name}_missing", f"{c.name} is required"))
        if c.kind in ("integer", "money", "timestamp"):
            cases.append(
                (
                    f"{present} AND {typed} IS NULL",
                    f"{c.name}_invalid",
                    f"{c.name} is not a valid {c.kind}"
                    + (" (at most 2 decimal places)" if c.kind == "money" else ""),
                )
            )
        if c.values:
            allowed = ", ".join(quote_literal(v) for v in c.values)
            cases.append(
                (
                    f"{typed} IS NOT NULL AND {typed} NOT IN ({allowed})",
                    f"{c.name}_not_allowed",
                    f"{c.name} must be one of: {', '.join(c.values)}",
                )
            )
        if c.minimum is not None:
            cases.append(
                (
                    f"{typed} < {c.minimum}",
                    f"{c.name}_below_minimum",
                    f"{c.name} must be >= {c.minimum}",
                )
            )
    for rule in source.rules:
        cases.append((f"NOT coalesce({rule.sql}, false)", rule.code, rule.message))
    return cases


def _validated_sql(source: Source, file_relation: str, present_columns: set[str]) -> str:
    """Rows of one file with typed columns and `_reject_code`/`_reject_reason` (NULL when valid)."""
    text_columns = [
        f"{quote_ident(c.name) if c.name in present_columns else 'NULL'}::VARCHAR AS v_{c.name}"
        for c in source.columns
    ]
    typed_columns = []
    for c in source.columns:
        typed = _typed_sql(c, f"v_{c.name}")
        if c.default is not None:
            typed = f"coalesce({typed}, {c.default})"
        typed_columns.append(f"{typed}::{SQL_TYPES[c.kind]} AS {quote_ident(c.name)}")
    cases = _reject_reason_cases(source)
    code = " ".join(f"WHEN {cond} THEN {quote_literal(code)}" for cond, code, _ in cases)
    message = " ".join(f"WHEN {cond} THEN {quote_literal(msg)}" for cond, _, msg in cases)
    return f"""
        WITH text_rows AS (
            SELECT _source_row, _raw, {", ".join(text_columns)} FROM {file_relation}
        ), typed_rows AS (
            SELECT *, {", ".join(typed_columns)} FROM text_rows
        )
        SELECT *, CASE {code} END AS _reject_code, CASE {message} END AS _reject_reason
        FROM typed_rows
    """


def load_partition(
    conn: duckdb.DuckDBPyConnection, landing_root: Path, source_name: str, dt: date
) -> LoadResult:
    """Replace partition `dt` of one source in the warehouse with the files found for it."""
    source = SOURCES[source_name]
    ensure_raw_schema(conn)
    conn.execute(f"SET TimeZone = {quote_literal(REPORTING_TIME_ZONE)}")
    landing_root = landing_root.resolve()
    files = partition_files(landing_root, source.name, dt)

    conn.execute(
        f"CREATE OR REPLACE TEMP TABLE _accepted AS SELECT * FROM {raw_table(source)} WHERE false"
    )
    conn.execute(
        f"CREATE OR REPLACE TEMP TABLE _rejected AS SELECT * FROM {RAW_SCHEMA}.rejected_rows "
        "WHERE false"
    )
    rows_read = 0
    for path in files:
        relative = path.relative_to(landing_root).as_posix()
        rows_read += _stage_file(conn, source, path, relative, dt)

    accepted, rejected = (
        conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("_accepted", "_rejected")
    )
    if accepted + rejected != rows_read:  # an internal invariant, never expected to fire
        raise RuntimeError(
            f"{source.name} {dt}: read {rows_read} rows but accounted {accepted} + {rejected}"
        )
    reasons = dict(
        conn.execute("SELECT reason_code, count(*) FROM _rejected GROUP BY 1 ORDER BY 1").fetchall()
    )
    params = [source.name, dt]
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute(f"DELETE FROM {raw_table(source)} WHERE _partition_dt = ?", [dt])
        conn.execute(
            f"DELETE FROM {RAW_SCHEMA}.rejected_rows WHERE source = ? AND partition_dt = ?", params
        )
        conn.execute(
            f"DELETE FROM {RAW_SCHEMA}.load_audit WHERE source = ? AND partition_dt = ?", params
        )
        conn.execute(f"INSERT INTO {raw_table(source)} SELECT * FROM _accepted")
        conn.execute(f"INSERT INTO {RAW_SCHEMA}.rejected_rows SELECT * FROM _rejected")
        conn.execute(
            f"INSERT INTO {RAW_SCHEMA}.load_audit VALUES (?, ?, ?, ?, ?, ?, now())",
            [source.name, dt, len(files), rows_read, accepted, rejected],
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("DROP TABLE _accepted")
    conn.execute("DROP TABLE _rejected")
    return LoadResult(source.name, dt, len(files), rows_read, accepted, rejected, reasons)


def _stage_file(
    conn: duckdb.DuckDBPyConnection, source: Source, path: Path, relative: str, dt: date
) -> int:
    """Read one file into the temp tables `_accepted`/`_rejected`; return the rows it holds."""
    file_literal = quote_literal(relative)
    try:
        conn.execute(f"CREATE OR REPLACE TEMP TABLE _file AS {_reader_sql(path, source)}")
    except (duckdb.Error, ValueError) as error:
        # The file cannot be read at all: quarantine it whole, the rest of the partition loads.
        message = str(error).splitlines()[0][:500]
        conn.execute(
            "INSERT INTO _rejected VALUES (?, ?, ?, NULL, 'file_unreadable', ?, NULL)",
            [source.name, dt, relative, f"file cannot be read: {message}"],
        )
        return 1
    present = {row[0] for row in conn.execute("DESCRIBE _file").fetchall()}
    rows = conn.execute("SELECT count(*) FROM _file").fetchone()[0]
    missing = [c.name for c in source.columns if c.required and c.name not in present]
    if missing:
        conn.execute(
            "INSERT INTO _rejected SELECT ?, ?, ?, _source_row, 'missing_required_column', ?, _raw "
            "FROM _file",
            [source.name, dt, relative, f"file lacks required column(s): {', '.join(missing)}"],
        )
        return rows
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _validated AS " + _validated_sql(source, "_file", present)
    )
    typed = ", ".join(quote_ident(c) for c in source.column_names)
    conn.execute(
        f"INSERT INTO _accepted SELECT {typed}, DATE {quote_literal(dt.isoformat())}, "
        f"{file_literal}, _source_row FROM _validated WHERE _reject_code IS NULL"
    )
    conn.execute(
        "INSERT INTO _rejected SELECT ?, ?, ?, _source_row, _reject_code, _reject_reason, _raw "
        "FROM _validated WHERE _reject_code IS NOT NULL",
        [source.name, dt, relative],
    )
    conn.execute("DROP TABLE _file")
    conn.execute("DROP TABLE _validated")
    return rows

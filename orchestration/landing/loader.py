"""Load one export-date partition of one landing source into the warehouse `raw` schema.

DuckDB reads the files natively; Python only builds SQL from the contract in
`landing_contract.py`. Every row read ends up in exactly one place: `raw.<source>` when it keeps
the contract, `raw.rejected_rows` (file, row, reason, raw record) when it does not. A partition
is replaced inside one transaction, so a re-run never duplicates and a crash keeps the previous
good state.
"""

from __future__ import annotations

import gzip
import json
import tempfile
import zlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb

from orchestration.landing.contract import (
    LANDING_FILE_SUFFIXES,
    LINEAGE_COLUMNS,
    REPORTING_TIME_ZONE,
    SOURCES,
    SQL_TYPES,
    Column,
    Source,
)
from orchestration.landing.discovery import partition_files
from orchestration.sql import quote_ident, quote_literal

RAW_SCHEMA = "raw"
# A JSON Lines record's physical line, when a file had to be re-read line by line.
JSON_LINE_COLUMN = "__line"
GLOB_CHARACTERS = frozenset("*?[]")


@dataclass(frozen=True)
class LoadResult:
    source: str
    partition_dt: date
    files: int
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    reject_reasons: dict[str, int] = field(default_factory=dict)


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


def _reader_sql(path: Path, source: Source) -> str:
    """A relation over one file: its row number and its columns (see RAW_RECORD_SQL).

    CSV is read all-text and JSON Lines with the contract's columns as JSON values, so no type is
    guessed from the first rows; Parquet brings its own schema.
    """
    name = path.name.lower()
    location = quote_literal(str(path))
    if name.endswith(".parquet"):
        scan = f"read_parquet({location}, hive_partitioning = false)"
    elif name.endswith((".csv", ".csv.gz")):
        scan = f"read_csv({location}, header = true, all_varchar = true, hive_partitioning = false)"
    elif name.endswith((".jsonl", ".jsonl.gz")):
        columns = [*source.column_names, JSON_LINE_COLUMN]
        spec = ", ".join(
            f"{quote_literal(c)}: '{'BIGINT' if c == JSON_LINE_COLUMN else 'JSON'}'"
            for c in columns
        )
        scan = (
            f"read_json({location}, format = 'newline_delimited', columns = {{{spec}}}, "
            "hive_partitioning = false)"
        )
    else:
        raise ValueError(f"unsupported file type (expected one of {LANDING_FILE_SUFFIXES})")
    # DuckDB preserves insertion order, so row_number() over the scan is the record's number in
    # the file (for JSON Lines re-read after bad lines were set aside: its physical line).
    row_number = "row_number() OVER ()"
    if name.endswith((".jsonl", ".jsonl.gz")):
        row_number = f"coalesce(f.{JSON_LINE_COLUMN}, {row_number})"
    return f"SELECT {row_number} AS _source_row, f.* FROM {scan} f"


# The raw record of a row of `_file` as JSON text, kept with a rejected row. Computed only for
# rejected rows: serialising every row tripled the cost of reading a file.
RAW_RECORD_SQL = "to_json(struct_pack(*COLUMNS(* EXCLUDE (_source_row))))::VARCHAR"


def _split_json_lines(path: Path, scratch: Path) -> tuple[Path, list[tuple[int, str, str]]]:
    """The cold path for a JSON Lines file DuckDB cannot parse as a whole: set aside the lines that
    are not JSON objects, with their line numbers, and write the others (tagged with their line
    number) to a scratch file for DuckDB to read. Only runs for files with broken lines."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    bad: list[tuple[int, str, str]] = []
    clean = scratch / "clean.jsonl"
    with opener(path, "rt", encoding="utf-8", errors="replace") as lines, open(clean, "w") as out:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as error:
                bad.append((number, line.rstrip("\r\n")[:10_000], f"not valid JSON: {error}"))
                continue
            if not isinstance(record, dict):
                bad.append((number, line.rstrip("\r\n")[:10_000], "not a JSON object"))
                continue
            record[JSON_LINE_COLUMN] = number
            out.write(json.dumps(record) + "\n")
    return clean, bad


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


# Timestamps outside this range are rejected as implausible (a year-0001 or 9999 placeholder).
EARLIEST_TIMESTAMP = "1970-01-01 00:00:00+00"
LATEST_TIMESTAMP = "2100-01-01 00:00:00+00"


def _reject_reason_cases(source: Source) -> list[tuple[str, str, str]]:
    """(SQL condition, reason code, SQL message) in order; the first that holds is the reason.

    Conditions see the text values `v_<col>`, the typed columns and `_nested` (the first column
    holding an object or array)."""
    cases = [
        (
            "_nested IS NOT NULL",
            "nested_value",
            "'column ' || _nested || ' holds an object or array where a scalar is expected'",
        )
    ]
    for c in source.columns:
        text, typed = f"v_{c.name}", quote_ident(c.name)
        present = f"nullif({text}, '') IS NOT NULL"

        def case(condition: str, suffix: str, message: str, name: str = c.name) -> None:
            cases.append((condition, f"{name}_{suffix}", quote_literal(f"{name} {message}")))

        if c.required:
            case(f"NOT ({present})", "missing", "is required")
        if c.kind in ("integer", "money", "timestamp"):
            detail = " (at most 2 decimal places)" if c.kind == "money" else ""
            case(f"{present} AND {typed} IS NULL", "invalid", f"is not a valid {c.kind}{detail}")
        if c.kind == "timestamp":
            case(
                f"{typed} < TIMESTAMPTZ '{EARLIEST_TIMESTAMP}' "
                f"OR {typed} >= TIMESTAMPTZ '{LATEST_TIMESTAMP}'",
                "out_of_range",
                "is outside 1970-01-01 .. 2099-12-31",
            )
        if c.values:
            allowed = ", ".join(quote_literal(v) for v in c.values)
            case(
                f"{typed} IS NOT NULL AND {typed} NOT IN ({allowed})",
                "not_allowed",
                f"must be one of: {', '.join(c.values)}",
            )
        if c.minimum is not None:
            case(f"{typed} < {c.minimum}", "below_minimum", f"must be >= {c.minimum}")
    for rule in source.rules:
        cases.append((f"NOT coalesce({rule.sql}, false)", rule.code, quote_literal(rule.message)))
    return cases


def _text_and_nested_sql(column: str, file_type: str | None) -> tuple[str, str]:
    """(the column's value as text, a condition that it is an object or array) for a file column."""
    if file_type is None:
        return "NULL", "false"
    ident = quote_ident(column)
    if file_type == "JSON":
        is_nested = f"coalesce(json_type({ident}) IN ('OBJECT', 'ARRAY'), false)"
        return f"CASE WHEN {is_nested} THEN NULL ELSE {ident} ->> '$' END", is_nested
    if file_type.startswith(("STRUCT", "MAP", "UNION")) or file_type.endswith("]"):
        return "NULL", f"{ident} IS NOT NULL"
    return f"{ident}::VARCHAR", "false"


def _validated_sql(source: Source, file_relation: str, file_types: dict[str, str]) -> str:
    """Rows of one file with typed columns and `_reject_code`/`_reject_reason` (NULL when valid)."""
    text_columns, nested = [], []
    for c in source.columns:
        text, is_nested = _text_and_nested_sql(c.name, file_types.get(c.name))
        text_columns.append(f"{text} AS v_{c.name}")
        nested.append(f"WHEN {is_nested} THEN {quote_literal(c.name)}")
    typed_columns = []
    for c in source.columns:
        typed = _typed_sql(c, f"v_{c.name}")
        if c.default is not None:
            typed = f"coalesce({typed}, {c.default})"
        typed_columns.append(f"{typed}::{SQL_TYPES[c.kind]} AS {quote_ident(c.name)}")
    cases = _reject_reason_cases(source)
    code = " ".join(f"WHEN {cond} THEN {quote_literal(code)}" for cond, code, _ in cases)
    message = " ".join(f"WHEN {cond} THEN {msg}" for cond, _, msg in cases)
    return f"""
        WITH text_rows AS (
            SELECT _source_row, {", ".join(text_columns)},
                CASE {" ".join(nested)} END AS _nested
            FROM {file_relation}
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


def trailing_average_loaded(
    conn: duckdb.DuckDBPyConnection, source_name: str, dt: date, days: int = 7
) -> float | None:
    """Average rows loaded per partition over the `days` export dates before `dt` that were
    loaded (None when there are none): the baseline of the row-count-drop check."""
    ensure_raw_schema(conn)
    (average,) = conn.execute(
        f"SELECT avg(rows_loaded) FROM {RAW_SCHEMA}.load_audit "
        "WHERE source = ? AND partition_dt < ? AND partition_dt >= ?",
        [source_name, dt, dt - timedelta(days=days)],
    ).fetchone()
    return None if average is None else float(average)


def _reject_unreadable_file(
    conn: duckdb.DuckDBPyConnection,
    source: Source,
    path: Path,
    relative: str,
    dt: date,
    error: BaseException,
) -> int:
    """Quarantine a file that cannot be read. A text file's records are rejected line by line
    (so the counts still say how many records were lost); a binary file counts as one record."""
    message = "file cannot be read: " + " ".join(str(error).split())[:500]
    reject = "INSERT INTO _rejected VALUES (?, ?, ?, ?, 'file_unreadable', ?, ?)"
    name = path.name.lower()
    if name.endswith(".parquet"):
        conn.execute(reject, [source.name, dt, relative, None, message, None])
        return 1
    opener = gzip.open if name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace", newline="") as handle:
            lines = [line.rstrip("\r\n") for line in handle if line.strip()]
    except (OSError, EOFError, zlib.error):
        lines = []
    if name.endswith((".csv", ".csv.gz")):
        lines = lines[1:]  # the header is not a record
    if not lines:
        conn.execute(reject, [source.name, dt, relative, None, message, None])
        return 1
    conn.executemany(
        reject,
        [[source.name, dt, relative, number, message, line[:10_000]]
         for number, line in enumerate(lines, start=1)],
    )  # fmt: skip
    return len(lines)


def _stage_file(
    conn: duckdb.DuckDBPyConnection, source: Source, path: Path, relative: str, dt: date
) -> int:
    """Read one file into the temp tables `_accepted`/`_rejected`; return the records it holds."""
    reject = "INSERT INTO _rejected VALUES (?, ?, ?, ?, ?, ?, ?)"
    if path.is_symlink():
        # A link could point anywhere on the machine (path traversal): never follow it.
        message = "file is a symbolic link; links are not followed"
        conn.execute(reject, [source.name, dt, relative, None, "file_is_symlink", message, None])
        return 1
    if GLOB_CHARACTERS.intersection(path.name):
        # DuckDB's readers expand * ? [ ] in paths: such a name could read other files.
        message = "file name contains * ? [ or ]; rename the file"
        conn.execute(reject, [source.name, dt, relative, None, "file_name_unsafe", message, None])
        return 1
    if path.stat().st_size == 0:
        return 0  # an empty file holds no records
    with tempfile.TemporaryDirectory(prefix="lcw-ingest-") as scratch:
        try:
            conn.execute(f"CREATE OR REPLACE TEMP TABLE _file AS {_reader_sql(path, source)}")
            rows_set_aside = 0
        except (duckdb.Error, ValueError):
            try:
                if not path.name.lower().endswith((".jsonl", ".jsonl.gz")):
                    raise
                clean, bad_lines = _split_json_lines(path, Path(scratch))
                conn.execute(f"CREATE OR REPLACE TEMP TABLE _file AS {_reader_sql(clean, source)}")
            except (duckdb.Error, ValueError, OSError, EOFError, zlib.error) as final_error:
                # Unreadable as a whole: quarantine the file, the rest of the partition loads.
                return _reject_unreadable_file(conn, source, path, relative, dt, final_error)
            for line, raw, reason in bad_lines:
                conn.execute(reject, [source.name, dt, relative, line, "json_invalid", reason, raw])
            rows_set_aside = len(bad_lines)
    file_types = {
        name: str(data_type) for name, data_type, *_ in conn.execute("DESCRIBE _file").fetchall()
    }
    rows = conn.execute("SELECT count(*) FROM _file").fetchone()[0]
    missing = [c.name for c in source.columns if c.required and c.name not in file_types]
    if missing:
        conn.execute(
            "INSERT INTO _rejected SELECT ?, ?, ?, _source_row, 'missing_required_column', ?, "
            f"{RAW_RECORD_SQL} FROM _file",
            [source.name, dt, relative, f"file lacks required column(s): {', '.join(missing)}"],
        )
        return rows + rows_set_aside
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _validated AS " + _validated_sql(source, "_file", file_types)
    )
    typed = ", ".join(quote_ident(c) for c in source.column_names)
    conn.execute(
        f"INSERT INTO _accepted SELECT {typed}, DATE {quote_literal(dt.isoformat())}, "
        f"{quote_literal(relative)}, _source_row FROM _validated WHERE _reject_code IS NULL"
    )
    conn.execute(
        "INSERT INTO _rejected SELECT ?, ?, ?, v._source_row, v._reject_code, v._reject_reason, "
        "f._raw FROM _validated v JOIN ("
        f"  SELECT _source_row, {RAW_RECORD_SQL} AS _raw FROM _file"
        "   WHERE _source_row IN ("
        "       SELECT _source_row FROM _validated WHERE _reject_code IS NOT NULL)"
        ") f USING (_source_row) WHERE v._reject_code IS NOT NULL",
        [source.name, dt, relative],
    )
    conn.execute("DROP TABLE _file")
    conn.execute("DROP TABLE _validated")
    return rows + rows_set_aside

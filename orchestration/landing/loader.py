"""Load one export-date partition of one landing source into the warehouse `raw` schema.

DuckDB reads the files natively; Python only builds SQL from the contract in
`landing/contract.py`. Every row read ends up in exactly one place: `raw.<source>` when it keeps
the contract, `raw.rejected_rows` (file, row, reason, raw record) when it does not. A partition
is replaced inside one transaction, so a re-run never duplicates and a crash keeps the previous
good state.

The hot path reads each file with one DuckDB statement (CSV with the contract's dialect, never
sniffed). Python reads a file record by record only on the cold path: when DuckDB cannot read it
as a whole (a malformed CSV row, a broken JSON line, a byte-order mark, a truncated gzip stream)
or when a JSON Lines file names a contract key in another case. Then the good records go to a
scratch file for DuckDB and each bad one is rejected on its own.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import logging
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import BinaryIO

import duckdb

from orchestration.landing.contract import (
    FUTURE_DAYS,
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

log = logging.getLogger(__name__)

RAW_SCHEMA = "raw"
# A record's row (CSV) or physical line (JSON Lines), when a file had to be re-read in Python.
JSON_LINE_COLUMN = "__line"
ROW_COLUMN = "__row"  # the same for a CSV file re-read from a scratch copy
INTERNAL_COLUMNS = frozenset({"_source_row", JSON_LINE_COLUMN, ROW_COLUMN})
GLOB_CHARACTERS = frozenset("*?[]")
# What a rejected row keeps of a personal-data value (LANDING.md: never a second copy).
MASK = "***"
# How much of a line a rejected row keeps.
MAX_RAW_CHARS = 10_000
# The longest CSV line read (DuckDB's default is 2 MiB); a longer one makes the row a reject.
MAX_LINE_BYTES = 16 * 1024 * 1024
# Bytes read to judge a text file's encoding before DuckDB reads it.
HEAD_BYTES = 64 * 1024
TEXT_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class LoadResult:
    source: str
    partition_dt: date
    files: int
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    reject_reasons: dict[str, int] = field(default_factory=dict)
    # Files (relative to the landing root) that held no bytes, and compressed files that ended
    # early (their recovered records are counted, plus one `file_truncated` reject each).
    empty_files: tuple[str, ...] = ()
    truncated_files: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Staged:
    """What staging one file found: records read (loaded + rejected) and file-level warnings."""

    records: int
    empty: bool = False
    truncated: bool = False


class _NotUtf8(Exception):
    """A text file that is not UTF-8; the message says what it looks like instead."""


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
    # Added later: warehouses created before get the columns (0 for their earlier loads).
    for column in ("empty_files", "truncated_files"):
        conn.execute(
            f"ALTER TABLE {RAW_SCHEMA}.load_audit "
            f"ADD COLUMN IF NOT EXISTS {column} INTEGER DEFAULT 0"
        )


# --------------------------------------------------------------------------------------------
# Column names


def _file_kind(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith((".csv", ".csv.gz")):
        return "csv"
    if name.endswith((".jsonl", ".jsonl.gz")):
        return "jsonl"
    return None


@dataclass(frozen=True)
class _Columns:
    """A file's columns: the names it is read under, and what the contract makes of them."""

    names: tuple[str, ...]  # unique, contract columns under their contract name
    duplicates: tuple[str, ...]  # names given twice (in any case); non-empty: the file is rejected
    personal: frozenset[str]  # names (of `names`) whose values are personal data


def _match_columns(source: Source, given: list[str]) -> _Columns:
    """Match a header's or schema's names to the contract case-insensitively (`Refund_Amount` is
    `refund_amount`; surrounding spaces are ignored). A name given twice in any case is a
    duplicate, never resolved by position; unnamed columns get `column<n>`."""
    contract = {c.lower(): c for c in source.column_names}
    personal_names = set(source.personal_columns)
    names: list[str] = []
    personal: set[str] = set()
    seen: dict[str, int] = {}
    duplicates: list[str] = []
    for position, raw in enumerate(given, start=1):
        stripped = raw.strip()
        key = stripped.lower()
        name = contract.get(key, stripped) if stripped else f"column{position}"
        if key and key in seen:
            duplicates.append(stripped)
        seen[name.lower()] = seen.get(name.lower(), 0) + 1
        if seen[name.lower()] > 1 or name.lower() in INTERNAL_COLUMNS:
            name = f"{name}_{position}"  # read under a unique name; the file is rejected anyway
        names.append(name)
        if contract.get(key) in personal_names:
            personal.add(name)
    return _Columns(tuple(names), tuple(dict.fromkeys(duplicates)), frozenset(personal))


def _raw_record_sql(names: tuple[str, ...], personal: frozenset[str]) -> str:
    """The raw record of a row of `_file` as JSON text, kept with a rejected row, personal data
    masked. Computed only for rejected rows: serialising every row tripled the cost of reading."""
    parts = []
    for name in names:
        ident = quote_ident(name)
        value = (
            f"CASE WHEN {ident} IS NULL THEN NULL ELSE '{MASK}' END" if name in personal else ident
        )
        parts.append(f"{ident} := {value}")
    if not parts:
        return "NULL"
    return f"to_json(struct_pack({', '.join(parts)}))::VARCHAR"


# --------------------------------------------------------------------------------------------
# Text files: encoding, byte-order marks, gzip


def _open_binary(path: Path) -> BinaryIO:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _read_head(path: Path) -> tuple[bytes, bool]:
    """The first bytes of a text file (decompressed) and whether they are all it holds; a
    compressed stream that ends early gives what came before the break."""
    chunks: list[bytes] = []
    size = 0
    with _open_binary(path) as handle:
        while size < HEAD_BYTES:
            try:
                chunk = handle.read1(HEAD_BYTES - size)
            except EOFError:
                return b"".join(chunks), False
            if not chunk:
                return b"".join(chunks), True
            chunks.append(chunk)
            size += len(chunk)
    return b"".join(chunks), False


def _encoding_problem(head: bytes, complete: bool) -> str | None:
    """Why a text file is not UTF-8, judged on its first bytes (None: it looks like UTF-8)."""
    for bom, name in TEXT_BOMS:
        if head.startswith(bom):
            return f"it starts with a {name.upper()} byte-order mark"
    if _looks_like_utf16_or_32(head):
        return "most bytes of its first line are NUL (UTF-16 or UTF-32 without a BOM?)"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
    except UnicodeDecodeError as error:
        return f"byte 0x{head[error.start]:02x} at offset {error.start} is not UTF-8"
    return None


def _guess_text(raw: bytes) -> str:
    """Decode a file that is not UTF-8 as well as can be, only to count and show its lines."""
    for bom, name in TEXT_BOMS:
        if raw.startswith(bom):
            return raw.decode(name, errors="replace")
    if _looks_like_utf16_or_32(raw):
        return raw.decode("utf-16-le" if raw[1:2] == b"\x00" else "utf-16-be", errors="replace")
    return raw.decode("latin-1")


def _looks_like_utf16_or_32(head: bytes) -> bool:
    """ASCII text in UTF-16 or UTF-32 is mostly NUL bytes; UTF-8 text with a stray NUL is not
    (that NUL is the row's reject, `nul_byte`)."""
    first_line = head.split(b"\n", 1)[0]
    return len(first_line) > 0 and first_line.count(b"\x00") * 3 >= len(first_line)


def _utf8_lines(path: Path) -> Iterator[str]:
    """A text file's lines (byte-order mark stripped, line ends kept). Raises _NotUtf8, or
    EOFError/zlib.error/OSError when a compressed stream ends early or is corrupt."""
    with _open_binary(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict", newline="")
        try:
            yield from text
        except UnicodeDecodeError as error:
            raise _NotUtf8(f"a byte is not UTF-8 ({error.reason})") from error


# --------------------------------------------------------------------------------------------
# SQL for one file


def _csv_scan(path: Path, names: tuple[str, ...]) -> str:
    """CSV with the contract's dialect, read as text: never sniffed, nothing guessed."""
    spec = ", ".join(f"{quote_literal(n)}: 'VARCHAR'" for n in names)
    return (
        f"read_csv({quote_literal(str(path))}, header = true, auto_detect = false, "
        f"columns = {{{spec}}}, delim = ',', quote = '\"', escape = '\"', "
        f"max_line_size = {MAX_LINE_BYTES}, hive_partitioning = false)"
    )


def _json_scan(path: Path, source: Source, with_line: bool) -> str:
    columns = [*source.column_names, *([JSON_LINE_COLUMN] if with_line else [])]
    spec = ", ".join(
        f"{quote_literal(c)}: '{'BIGINT' if c == JSON_LINE_COLUMN else 'JSON'}'" for c in columns
    )
    return (
        f"read_json({quote_literal(str(path))}, format = 'newline_delimited', "
        f"columns = {{{spec}}}, hive_partitioning = false)"
    )


def _relation_sql(
    scan: str, select: str = "f.*", line_column: str | None = None, alias: str = " f"
) -> str:
    # DuckDB preserves insertion order, so row_number() over the scan is the record's number in
    # the file; a file re-read from a scratch copy carries its original number instead.
    row_number = "row_number() OVER ()"
    if line_column:
        row_number = f"f.{quote_ident(line_column)}"
    return f"SELECT {row_number} AS _source_row, {select} FROM {scan}{alias}"


MONEY_PLAIN = r"[+-]?[0-9]+(\.[0-9]{0,2}0*)?"
MONEY_SYNTAX = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
# ISO 8601: a date, optionally a time, optionally Z, UTC, GMT or an offset within ±14:00.
TIMESTAMP_SYNTAX = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?"
    r"\s*(Z|UTC|GMT|[+-](0[0-9]|1[0-3])(:?[0-5][0-9])?|[+-]14(:?00)?)?"
)
# A date and time followed by something that is not an accepted zone: CST, +25:00, Asia/Tokyo.
TIMESTAMP_OTHER_ZONE = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?\s*[^\s].*"
)
NATIVE_TIMESTAMP_TYPES = frozenset(
    {"TIMESTAMP WITH TIME ZONE", "TIMESTAMP", "TIMESTAMP_MS", "TIMESTAMP_NS", "TIMESTAMP_S", "DATE"}
)
# A Parquet double is a cent when it lies within this share of its value (at least of one yuan)
# from a whole cent: a few hundred units in the last place, far below a thousandth of a cent for
# any amount within the bounds.
DOUBLE_CENT_TOLERANCE = 1e-13


def _money_sql(text: str, native: str | None) -> str:
    """Money as DECIMAL(38,2), NULL unless it has at most two decimal places (never rounded)."""
    if native is not None:  # a Parquet double or float
        return (
            f"CASE WHEN isfinite({native}) AND abs({native} - round({native}, 2)) "
            f"<= {DOUBLE_CENT_TOLERANCE} * greatest(1, abs({native})) "
            f"THEN TRY_CAST(round({native}, 2) AS DECIMAL(38, 2)) END"
        )
    t = f"trim({text})"
    places = (
        f"length(rtrim(regexp_extract({t}, '\\.([0-9]*)', 1), '0')) "
        f"- coalesce(TRY_CAST(regexp_extract({t}, '[eE]([+-]?[0-9]+)$', 1) AS INTEGER), 0)"
    )
    return (
        f"CASE WHEN regexp_full_match({t}, '{MONEY_PLAIN}') THEN TRY_CAST({t} AS DECIMAL(38, 2)) "
        f"WHEN regexp_full_match({t}, '{MONEY_SYNTAX}') AND {places} <= 2 "
        f"THEN TRY_CAST({t} AS DECIMAL(38, 2)) END"
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
        return f"CASE WHEN m_{column.name} <= {_money_maximum(column)} THEN m_{column.name} END"
    if column.kind == "timestamp":
        # A value without an offset is read in the session time zone, Asia/Shanghai.
        return (
            f"CASE WHEN regexp_full_match(trim({text}), '{TIMESTAMP_SYNTAX}') "
            f"THEN TRY_CAST(trim({text}) AS TIMESTAMPTZ) END"
        )
    raise ValueError(column.kind)


def _money_maximum(column: Column) -> str:
    """The largest amount a money column takes: its bound, at most what DECIMAL(18,2) holds."""
    return str(column.maximum) if column.maximum is not None else "9999999999999999.99"


# Timestamps outside this range are rejected as implausible (a year-0001 or 9999 placeholder).
EARLIEST_TIMESTAMP = "1970-01-01 00:00:00+00"
LATEST_TIMESTAMP = "2100-01-01 00:00:00+00"


def _reject_reason_cases(source: Source) -> list[tuple[str, str, str]]:
    """(SQL condition, reason code, SQL message) in order; the first that holds is the reason.

    Conditions see the text values `v_<col>`, money as `m_<col>`, the typed columns, `_nested`
    (the first column holding an object or array), `_nul` (the first holding a NUL character)
    and `_export_date`."""
    cases = [
        (
            "_nested IS NOT NULL",
            "nested_value",
            "'column ' || _nested || ' holds an object or array where a scalar is expected'",
        ),
        ("_nul IS NOT NULL", "nul_byte", "'column ' || _nul || ' holds a NUL character'"),
    ]
    for c in source.columns:
        text, typed = f"v_{c.name}", quote_ident(c.name)
        present = f"nullif({text}, '') IS NOT NULL"

        def case(condition: str, suffix: str, message: str, name: str = c.name) -> None:
            cases.append((condition, f"{name}_{suffix}", quote_literal(f"{name} {message}")))

        if c.required:
            case(f"NOT ({present})", "missing", "is required")
        if c.kind == "timestamp":
            case(
                f"{present} AND {typed} IS NULL "
                f"AND regexp_full_match(trim({text}), '{TIMESTAMP_OTHER_ZONE}')",
                "zone_invalid",
                "has a UTC offset beyond ±14:00 or a zone name; "
                "write an offset (+08:00), Z, UTC or GMT",
            )
        if c.kind == "money":
            case(
                f"{present} AND m_{c.name} IS NULL",
                "invalid",
                "is not a valid money amount (at most 2 decimal places, never rounded)",
            )
        elif c.kind in ("integer", "timestamp"):
            case(f"{present} AND {typed} IS NULL", "invalid", f"is not a valid {c.kind}")
        if c.kind == "money":
            maximum = _money_maximum(c)
            shown = f"{c.maximum:,}" if c.maximum is not None else maximum
            case(f"m_{c.name} > {maximum}", "out_of_range", f"is above {shown} yuan")
        if c.kind == "timestamp":
            case(
                f"{typed} < TIMESTAMPTZ '{EARLIEST_TIMESTAMP}' "
                f"OR {typed} >= TIMESTAMPTZ '{LATEST_TIMESTAMP}'",
                "out_of_range",
                "is outside 1970-01-01 .. 2099-12-31",
            )
            latest = f"CAST(_export_date + INTERVAL {FUTURE_DAYS + 1} DAY AS TIMESTAMPTZ)"
            condition = f"{typed} >= {latest}"
            window = f"after the day following the export date (dt + {FUTURE_DAYS} day)"
            if c.history_days is not None:
                earliest = f"CAST(_export_date - INTERVAL {c.history_days} DAY AS TIMESTAMPTZ)"
                condition += f" OR {typed} < {earliest}"
                window = f"more than {c.history_days} days before the export date or " + window
            case(condition, "out_of_window", f"is {window}")
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


def _validated_sql(source: Source, file_relation: str, file_types: dict[str, str], dt: date) -> str:
    """Rows of one file with typed columns and `_reject_code`/`_reject_reason` (NULL when valid)."""
    text_columns, nested, nul = [], [], []
    for c in source.columns:
        file_type = file_types.get(c.name)
        text, is_nested = _text_and_nested_sql(c.name, file_type)
        text_columns.append(f"{text} AS v_{c.name}")
        if c.kind == "money":
            native = quote_ident(c.name) if file_type in ("DOUBLE", "FLOAT") else None
            text_columns.append(f"{_money_sql(text, native)} AS m_{c.name}")
        if c.kind == "timestamp" and file_type in NATIVE_TIMESTAMP_TYPES:
            # A Parquet timestamp is used as it is (without a zone: Asia/Shanghai time).
            text_columns.append(f"{quote_ident(c.name)}::TIMESTAMPTZ AS n_{c.name}")
        nested.append(f"WHEN {is_nested} THEN {quote_literal(c.name)}")
        if c.kind in ("id", "string", "enum"):
            nul.append(f"WHEN contains(v_{c.name}, chr(0)) THEN {quote_literal(c.name)}")
    typed_columns = []
    for c in source.columns:
        typed = _typed_sql(c, f"v_{c.name}")
        if c.kind == "timestamp" and file_types.get(c.name) in NATIVE_TIMESTAMP_TYPES:
            typed = f"n_{c.name}"
        if c.default is not None:
            typed = f"coalesce({typed}, {c.default})"
        typed_columns.append(f"{typed}::{SQL_TYPES[c.kind]} AS {quote_ident(c.name)}")
    cases = _reject_reason_cases(source)
    code = " ".join(f"WHEN {cond} THEN {quote_literal(code)}" for cond, code, _ in cases)
    message = " ".join(f"WHEN {cond} THEN {msg}" for cond, _, msg in cases)
    return f"""
        WITH file_rows AS (
            SELECT _source_row, {", ".join(text_columns)},
                CASE {" ".join(nested)} END AS _nested,
                DATE {quote_literal(dt.isoformat())} AS _export_date
            FROM {file_relation}
        ), text_rows AS (
            SELECT *, CASE {" ".join(nul)} END AS _nul FROM file_rows
        ), typed_rows AS (
            SELECT *, {", ".join(typed_columns)} FROM text_rows
        )
        SELECT *, CASE {code} END AS _reject_code, CASE {message} END AS _reject_reason
        FROM typed_rows
    """


# --------------------------------------------------------------------------------------------
# Loading a partition


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
    empty: list[str] = []
    truncated: list[str] = []
    for path in files:
        relative = path.relative_to(landing_root).as_posix()
        staged = _stage_file(_FileContext(conn, source, path, relative, dt))
        rows_read += staged.records
        if staged.empty:
            empty.append(relative)
            log.warning("%s dt=%s: %s is empty (0 bytes)", source.name, dt, relative)
        if staged.truncated:
            truncated.append(relative)
            log.warning(
                "%s dt=%s: %s is truncated; the records before the break were read",
                source.name,
                dt,
                relative,
            )

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
            f"INSERT INTO {RAW_SCHEMA}.load_audit (source, partition_dt, files, rows_read, "
            "rows_loaded, rows_rejected, loaded_at, empty_files, truncated_files) "
            "VALUES (?, ?, ?, ?, ?, ?, now(), ?, ?)",
            [source.name, dt, len(files), rows_read, accepted, rejected]
            + [len(empty), len(truncated)],
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("DROP TABLE _accepted")
    conn.execute("DROP TABLE _rejected")
    return LoadResult(
        source.name,
        dt,
        len(files),
        rows_read,
        accepted,
        rejected,
        reasons,
        tuple(empty),
        tuple(truncated),
    )


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


@dataclass(frozen=True)
class _FileContext:
    conn: duckdb.DuckDBPyConnection
    source: Source
    path: Path
    relative: str
    dt: date

    def reject(self, row: int | None, code: str, reason: str, raw: str | None) -> None:
        self.conn.execute(
            "INSERT INTO _rejected VALUES (?, ?, ?, ?, ?, ?, ?)",
            [self.source.name, self.dt, self.relative, row, code, reason, raw],
        )

    def reject_many(self, rows: list[tuple[int | None, str, str, str | None]]) -> None:
        if rows:
            self.conn.executemany(
                "INSERT INTO _rejected VALUES (?, ?, ?, ?, ?, ?, ?)",
                [[self.source.name, self.dt, self.relative, *row] for row in rows],
            )

    def unparsed(self, text: str) -> str | None:
        """What a rejected row keeps of a record that could not be parsed into columns: nothing
        for a source with personal-data columns (the value's place in the text is unknown, so
        it cannot be masked), else the text itself."""
        if self.source.personal_columns:
            return None
        return text[:MAX_RAW_CHARS]


def _stage_file(ctx: _FileContext) -> _Staged:
    """Read one file into the temp tables `_accepted`/`_rejected`."""
    path = ctx.path
    if path.is_symlink():
        # A link could point anywhere on the machine (path traversal): never follow it.
        ctx.reject(None, "file_is_symlink", "file is a symbolic link; links are not followed", None)
        return _Staged(1)
    if GLOB_CHARACTERS.intersection(path.name):
        # DuckDB's readers expand * ? [ ] in paths: such a name could read other files.
        ctx.reject(None, "file_name_unsafe", "file name contains * ? [ or ]; rename the file", None)
        return _Staged(1)
    if path.stat().st_size == 0:
        return _Staged(0, empty=True)  # reported as a warning, never as a record
    kind = _file_kind(path)
    if kind is None:
        message = f"unsupported file type (expected one of {LANDING_FILE_SUFFIXES})"
        return _reject_unreadable_file(ctx, ValueError(message))
    if kind == "parquet":
        return _stage_parquet(ctx)
    try:
        head, complete = _read_head(path)
    except (zlib.error, OSError) as error:  # not a gzip stream at all
        return _reject_unreadable_file(ctx, error)
    if not head.strip() and complete:
        return _Staged(0, empty=True)  # a compressed file holding nothing, or only blank lines
    problem = _encoding_problem(head, complete)
    if problem:
        return _reject_not_utf8(ctx, problem)
    if kind == "csv":
        return _stage_csv(ctx, head)
    return _stage_json_lines(ctx, head)


def _finish(
    ctx: _FileContext, relation: str, columns: tuple[str, ...], personal: frozenset[str]
) -> int:
    """Validate the rows of `relation` (a file's rows with `_source_row`) into the temp tables;
    return how many rows it had."""
    conn, source = ctx.conn, ctx.source
    conn.execute(f"CREATE OR REPLACE TEMP TABLE _file AS {relation}")
    file_types = {
        name: str(data_type) for name, data_type, *_ in conn.execute("DESCRIBE _file").fetchall()
    }
    rows = conn.execute("SELECT count(*) FROM _file").fetchone()[0]
    raw_record = _raw_record_sql(columns, personal)
    missing = [c.name for c in source.columns if c.required and c.name not in file_types]
    params = [source.name, ctx.dt, ctx.relative]
    if missing:
        conn.execute(
            "INSERT INTO _rejected SELECT ?, ?, ?, _source_row, 'missing_required_column', ?, "
            f"{raw_record} FROM _file",
            [*params, f"file lacks required column(s): {', '.join(missing)}"],
        )
        conn.execute("DROP TABLE _file")
        return rows
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _validated AS "
        + _validated_sql(source, "_file", file_types, ctx.dt)
    )
    typed = ", ".join(quote_ident(c) for c in source.column_names)
    conn.execute(
        f"INSERT INTO _accepted SELECT {typed}, DATE {quote_literal(ctx.dt.isoformat())}, "
        f"{quote_literal(ctx.relative)}, _source_row FROM _validated WHERE _reject_code IS NULL"
    )
    conn.execute(
        "INSERT INTO _rejected SELECT ?, ?, ?, v._source_row, v._reject_code, v._reject_reason, "
        "f._raw FROM _validated v JOIN ("
        f"  SELECT _source_row, {raw_record} AS _raw FROM _file"
        "   WHERE _source_row IN ("
        "       SELECT _source_row FROM _validated WHERE _reject_code IS NOT NULL)"
        ") f USING (_source_row) WHERE v._reject_code IS NOT NULL",
        params,
    )
    conn.execute("DROP TABLE _file")
    conn.execute("DROP TABLE _validated")
    return rows


def _reject_duplicates(ctx: _FileContext, relation: str, columns: _Columns, what: str) -> int:
    """Every record of a file whose header or schema names a column twice is rejected."""
    conn = ctx.conn
    conn.execute(f"CREATE OR REPLACE TEMP TABLE _file AS {relation}")
    rows = conn.execute("SELECT count(*) FROM _file").fetchone()[0]
    message = (
        f"the file's {what} names {', '.join(columns.duplicates)} more than once (in any case); "
        "which one is meant is never guessed"
    )
    conn.execute(
        "INSERT INTO _rejected SELECT ?, ?, ?, _source_row, 'duplicate_column', ?, "
        f"{_raw_record_sql(columns.names, columns.personal)} FROM _file",
        [ctx.source.name, ctx.dt, ctx.relative, message],
    )
    conn.execute("DROP TABLE _file")
    return rows


def _stage_parquet(ctx: _FileContext) -> _Staged:
    location = quote_literal(str(ctx.path))
    try:
        # The file's own top-level names (DuckDB would rename a second `a` to `a_1`).
        schema = ctx.conn.execute(
            f"SELECT name, num_children FROM parquet_schema({location})"
        ).fetchall()
        given = _top_level_names(schema)
        columns = _match_columns(ctx.source, given)
        # A table alias with column names renames the file's columns by position.
        aliases = ", ".join(quote_ident(name) for name in columns.names)
        relation = _relation_sql(
            f"read_parquet({location}, hive_partitioning = false) AS f({aliases})", alias=""
        )
        if columns.duplicates:
            return _Staged(_reject_duplicates(ctx, relation, columns, "schema"))
        return _Staged(_finish(ctx, relation, columns.names, columns.personal))
    except duckdb.Error as error:
        return _reject_unreadable_file(ctx, error)


def _top_level_names(schema: list[tuple[str, int | None]]) -> list[str]:
    """The names of a Parquet schema's top-level columns (its elements are in depth-first order,
    the first being the root)."""
    names: list[str] = []
    position = 1

    def skip(index: int) -> int:
        children = schema[index][1] or 0
        index += 1
        for _ in range(children):
            index = skip(index)
        return index

    root_children = schema[0][1] or 0
    for _ in range(root_children):
        names.append(schema[position][0])
        position = skip(position)
    return names


def _csv_header(head: bytes) -> list[str] | None:
    """The header row (RFC 4180, byte-order mark stripped) from a file's first bytes (already
    known to be UTF-8); None when they hold no row."""
    text = codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
    return next(csv.reader(io.StringIO(text, newline=""), strict=True), None)


def _stage_csv(ctx: _FileContext, head: bytes) -> _Staged:
    try:
        header = _csv_header(head)
    except csv.Error as error:
        return _reject_unreadable_file(ctx, error)
    if header is None:
        return _reject_unreadable_file(ctx, ValueError("no header row"))
    columns = _match_columns(ctx.source, header)
    relation = _relation_sql(_csv_scan(ctx.path, columns.names))
    try:
        if columns.duplicates:
            return _Staged(_reject_duplicates(ctx, relation, columns, "header"))
        return _Staged(_finish(ctx, relation, columns.names, columns.personal))
    except duckdb.Error:
        _forget_file(ctx)
    # The cold path: a row DuckDB could not read (wrong number of fields, broken quoting, a
    # stream that ends early). Python reads the rows; the good ones go to DuckDB from a scratch
    # copy that keeps their row numbers.
    with tempfile.TemporaryDirectory(prefix="lcw-ingest-") as scratch:
        clean = Path(scratch) / "clean.csv"
        try:
            bad, truncated = _split_csv(ctx, columns, clean)
        except _NotUtf8 as error:
            return _reject_not_utf8(ctx, str(error))
        except (EOFError, zlib.error, OSError) as error:
            return _reject_unreadable_file(ctx, error)
        relation = _relation_sql(
            _csv_scan(clean, (*columns.names, ROW_COLUMN)),
            f"f.* EXCLUDE ({quote_ident(ROW_COLUMN)})",
            ROW_COLUMN,
        )
        try:
            if columns.duplicates:
                rows = _reject_duplicates(ctx, relation, columns, "header")
            else:
                rows = _finish(ctx, relation, columns.names, columns.personal)
        except duckdb.Error as error:
            _forget_file(ctx)
            return _reject_unreadable_file(ctx, error)
    ctx.reject_many(bad)
    return _Staged(rows + len(bad), truncated=truncated)


def _split_csv(
    ctx: _FileContext, columns: _Columns, clean: Path
) -> tuple[list[tuple[int | None, str, str, str | None]], bool]:
    """Rows with the header's number of fields go to `clean` (with their row number); the others
    are rejected one by one. Returns the rejects and whether the stream ended early."""
    bad: list[tuple[int | None, str, str, str | None]] = []
    width = len(columns.names)
    # The csv module's field limit is process-wide; raise it (never lower it) to the line limit.
    csv.field_size_limit(max(csv.field_size_limit(), MAX_LINE_BYTES))
    lines = _utf8_lines(ctx.path)
    reader = csv.reader(lines, strict=True)
    truncated = False
    with open(clean, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow([*columns.names, ROW_COLUMN])
        number = -1  # the header is row 0
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                number += 1
                if number == 0:
                    continue
                bad.append((number, "csv_malformed", f"row is not valid CSV: {error}", None))
                continue
            except (EOFError, zlib.error, OSError) as error:
                truncated = _broken_stream(bad, error, read_any=number >= 0)
                break
            if not fields:
                continue  # a blank line is no record (DuckDB skips it on the hot path too)
            number += 1
            if number == 0:
                continue
            if len(fields) != width:
                reason = f"row has {len(fields)} fields; the header has {width}"
                raw = ctx.unparsed(json.dumps(fields, ensure_ascii=False))
                bad.append((number, "csv_malformed", reason, raw))
                continue
            writer.writerow([*fields, number])
    return bad, truncated


def _broken_stream(
    bad: list[tuple[int | None, str, str, str | None]], error: BaseException, read_any: bool
) -> bool:
    """Account for a compressed stream that breaks: one file-level reject after the records
    recovered. Returns whether the file is truncated (ends early) rather than corrupt; a stream
    broken before its first line is left to the caller as an unreadable file."""
    if not read_any and not isinstance(error, EOFError):
        raise error
    detail = " ".join(str(error).split())[:200]
    if isinstance(error, EOFError):
        reason = "the compressed stream ends early; the records before the break were read"
        bad.append((None, "file_truncated", f"{reason}, what followed is lost ({detail})", None))
        return True
    reason = "the compressed stream is corrupt; the records before the damage were read"
    bad.append((None, "file_unreadable", f"{reason}, what followed is lost ({detail})", None))
    return False


# JSON keys with an upper-case letter: a contract column in another case, found before reading.
UPPER_CASE_KEY = r'"[A-Za-z_]*[A-Z][A-Za-z_]*"\s*:'


def _upper_case_keys(ctx: _FileContext) -> set[str] | None:
    """Keys with an upper-case letter anywhere in a JSON Lines file (None: could not tell)."""
    lines = (
        f"read_csv({quote_literal(str(ctx.path))}, columns = {{'l': 'VARCHAR'}}, header = false, "
        "auto_detect = false, delim = '\\x01', quote = '', escape = '', hive_partitioning = false)"
    )
    try:
        (found,) = ctx.conn.execute(
            f"SELECT list_distinct(flatten(list(regexp_extract_all(l, '{UPPER_CASE_KEY}')))) "
            f"FROM {lines}"
        ).fetchone()
    except duckdb.Error:
        return None
    return {key.split('"')[1] for key in found or []}


def _stage_json_lines(ctx: _FileContext, head: bytes) -> _Staged:
    source = ctx.source
    needs_python = head.startswith(codecs.BOM_UTF8)
    if not needs_python:
        keys = _upper_case_keys(ctx)
        contract = set(source.column_names)
        needs_python = keys is None or any(key.lower() in contract for key in keys)
    if not needs_python:
        relation = _relation_sql(_json_scan(ctx.path, source, with_line=False))
        try:
            return _Staged(_finish(ctx, relation, source.column_names, _personal(source)))
        except duckdb.Error:
            _forget_file(ctx)
    with tempfile.TemporaryDirectory(prefix="lcw-ingest-") as scratch:
        clean = Path(scratch) / "clean.jsonl"
        try:
            bad, truncated = _split_json_lines(ctx, clean)
        except _NotUtf8 as error:
            return _reject_not_utf8(ctx, str(error))
        except (EOFError, zlib.error, OSError) as error:
            return _reject_unreadable_file(ctx, error)
        relation = _relation_sql(
            _json_scan(clean, source, with_line=True),
            f"f.* EXCLUDE ({quote_ident(JSON_LINE_COLUMN)})",
            JSON_LINE_COLUMN,
        )
        try:
            rows = _finish(ctx, relation, source.column_names, _personal(source))
        except duckdb.Error as error:
            _forget_file(ctx)
            return _reject_unreadable_file(ctx, error)
    ctx.reject_many(bad)
    return _Staged(rows + len(bad), truncated=truncated)


def _forget_file(ctx: _FileContext) -> None:
    """Undo what a failed read of one file staged, before it is quarantined as a whole."""
    ctx.conn.execute("DELETE FROM _accepted WHERE _source_file = ?", [ctx.relative])
    ctx.conn.execute("DELETE FROM _rejected WHERE source_file = ?", [ctx.relative])


def _plain(value: object) -> object:
    """A value parsed with object_pairs_hook=_Pairs, nested objects back as dicts."""
    if isinstance(value, _Pairs):
        return {key: _plain(item) for key, item in value}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


class _Pairs(list):  # type: ignore[type-arg]
    """A JSON object's (key, value) pairs in order, duplicates kept."""


def _personal(source: Source) -> frozenset[str]:
    return frozenset(source.personal_columns)


def _split_json_lines(
    ctx: _FileContext, clean: Path
) -> tuple[list[tuple[int | None, str, str, str | None]], bool]:
    """The cold path for a JSON Lines file: set aside the lines that are not JSON objects or name
    a key twice, and write the others to `clean` with contract keys in contract case and their
    line number. Returns the rejects and whether the stream ended early."""
    contract = {c.lower(): c for c in ctx.source.column_names}
    personal = {c.lower() for c in ctx.source.personal_columns}
    bad: list[tuple[int | None, str, str, str | None]] = []
    truncated = False
    number = 0
    with open(clean, "w", encoding="utf-8") as out:
        lines = _utf8_lines(ctx.path)
        while True:
            try:
                line = next(lines)
            except StopIteration:
                break
            except (EOFError, zlib.error, OSError) as error:
                truncated = _broken_stream(bad, error, read_any=number > 0)
                break
            number += 1
            if not line.strip():
                continue
            text = line.rstrip("\r\n")
            try:
                pairs = json.loads(text, object_pairs_hook=_Pairs, strict=False)
            except ValueError as error:
                code = "nul_byte" if "\x00" in text else "json_invalid"
                bad.append((number, code, f"not valid JSON: {error}", ctx.unparsed(text)))
                continue
            if not isinstance(pairs, _Pairs):
                bad.append((number, "json_invalid", "not a JSON object", ctx.unparsed(text)))
                continue
            keys = [key.strip().lower() for key, _ in pairs]
            twice = sorted({k for k in keys if keys.count(k) > 1})
            if twice:
                masked = [
                    [k, MASK if k.strip().lower() in personal else _plain(v)] for k, v in pairs
                ]
                reason = f"the object names {', '.join(twice)} more than once (in any case)"
                raw = json.dumps(masked, ensure_ascii=False)[:MAX_RAW_CHARS]
                bad.append((number, "duplicate_key", reason, raw))
                continue
            record = {contract.get(key.strip().lower(), key): _plain(value) for key, value in pairs}
            record[JSON_LINE_COLUMN] = number
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return bad, truncated


def _reject_not_utf8(ctx: _FileContext, problem: str) -> _Staged:
    """A text file that is not UTF-8: each of its lines (the header aside) is one rejected
    record, so the counts say how much was lost; personal-data sources keep no text."""
    try:
        with _open_binary(ctx.path) as handle:
            raw = handle.read()
    except (EOFError, zlib.error, OSError):
        raw = b""
    lines = [line for line in _guess_text(raw).splitlines() if line.strip()]
    if _file_kind(ctx.path) == "csv":
        lines = lines[1:]  # the header is not a record
    message = f"file is not UTF-8 text: {problem}; re-export it as UTF-8"
    if not lines:
        ctx.reject(None, "file_unreadable", message, None)
        return _Staged(1)
    ctx.reject_many(
        [(number, "file_unreadable", message, ctx.unparsed(line))
         for number, line in enumerate(lines, start=1)]
    )  # fmt: skip
    return _Staged(len(lines))


def _reject_unreadable_file(ctx: _FileContext, error: BaseException) -> _Staged:
    """Quarantine a file that cannot be read. A text file's records are rejected line by line
    (so the counts still say how many records were lost); a binary file counts as one record."""
    message = "file cannot be read: " + " ".join(str(error).split())[:500]
    kind = _file_kind(ctx.path)
    if kind in (None, "parquet"):
        ctx.reject(None, "file_unreadable", message, None)
        return _Staged(1)
    lines: list[str] = []
    try:
        with _open_binary(ctx.path) as handle:
            text = io.TextIOWrapper(handle, encoding="utf-8-sig", errors="replace", newline="")
            lines = [line.rstrip("\r\n") for line in text if line.strip()]
    except (OSError, EOFError, zlib.error):
        pass
    if kind == "csv":
        lines = lines[1:]  # the header is not a record
    if not lines:
        ctx.reject(None, "file_unreadable", message, None)
        return _Staged(1)
    ctx.reject_many(
        [(number, "file_unreadable", message, ctx.unparsed(line))
         for number, line in enumerate(lines, start=1)]
    )  # fmt: skip
    return _Staged(len(lines))

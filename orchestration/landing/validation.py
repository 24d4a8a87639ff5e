"""SQL that reads one landing file and validates its rows against the contract: column names
matched case-insensitively, every value typed by its column's kind, and the first broken rule of
each row as its reason code. Pure SQL building: nothing here touches a connection."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from orchestration.landing.contract import (
    FUTURE_DAYS,
    SQL_TYPES,
    Column,
    Source,
)
from orchestration.landing.text import MAX_LINE_BYTES
from orchestration.sql import quote_ident, quote_literal

# A record's row (CSV) or physical line (JSON Lines), when a file had to be re-read in Python.
JSON_LINE_COLUMN = "__line"


ROW_COLUMN = "__row"  # the same for a CSV file re-read from a scratch copy


FILE_COLUMN = "__file"  # the path a scan read a row from (DuckDB's `filename` option)


INTERNAL_COLUMNS = frozenset({"_source_row", JSON_LINE_COLUMN, ROW_COLUMN, FILE_COLUMN})


# What a rejected row keeps of a personal-data value (LANDING.md: never a second copy).
MASK = "***"


def file_kind(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith((".csv", ".csv.gz")):
        return "csv"
    if name.endswith((".jsonl", ".jsonl.gz")):
        return "jsonl"
    return None


@dataclass(frozen=True)
class FileColumns:
    """A file's columns: the names it is read under, and what the contract makes of them."""

    names: tuple[str, ...]  # unique, contract columns under their contract name
    duplicates: tuple[str, ...]  # names given twice (in any case); non-empty: the file is rejected
    personal: frozenset[str]  # names (of `names`) whose values are personal data


def match_columns(source: Source, given: list[str]) -> FileColumns:
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
    return FileColumns(tuple(names), tuple(dict.fromkeys(duplicates)), frozenset(personal))


def raw_record_sql(names: tuple[str, ...], personal: frozenset[str]) -> str:
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


def _paths_sql(paths: Sequence[Path]) -> str:
    return "[" + ", ".join(quote_literal(str(path)) for path in paths) + "]"


def csv_scan(paths: Sequence[Path], names: tuple[str, ...]) -> str:
    """CSV with the contract's dialect, read as text: never sniffed, nothing guessed. Files read
    together share their header (`names`); each row carries its file's path in `__file`."""
    spec = ", ".join(f"{quote_literal(n)}: 'VARCHAR'" for n in names)
    return (
        f"read_csv({_paths_sql(paths)}, header = true, auto_detect = false, "
        f"columns = {{{spec}}}, delim = ',', quote = '\"', escape = '\"', "
        f"max_line_size = {MAX_LINE_BYTES}, hive_partitioning = false, "
        f"filename = '{FILE_COLUMN}')"
    )


# Column kinds whose JSON values are text: read as VARCHAR when a screen has shown that every
# value a file gives them is a string or null (`formats.screen_json_lines`).
TEXT_KINDS = frozenset({"id", "string", "enum", "timestamp"})


# What each kind of column is read as when a screen has also shown that every number and
# timestamp of a file has a shape DuckDB's JSON reader turns into the same value as the exact
# path (`formats.typed_line`): the validation then starts from typed values, as for Parquet.
JSON_TYPED_READ: dict[str, str] = {
    "id": "VARCHAR",
    "string": "VARCHAR",
    "enum": "VARCHAR",
    "timestamp": "TIMESTAMPTZ",
    "integer": "BIGINT",
    "money": "DECIMAL(38,2)",
}


def json_scan(
    paths: Sequence[Path], source: Source, with_line: bool, types: Mapping[str, str] | None = None
) -> str:
    """JSON Lines read with the contract's keys. A column is read as `JSON` (a nested value
    is told from a scalar, a number keeps its JSON spelling) unless `types` gives it another
    type: VARCHAR for a column whose values a screen has shown to be strings or nulls (the same
    text `->> '$'` gives, without taking each value apart), or a typed read
    (`JSON_TYPED_READ`)."""
    columns = [*source.column_names, *([JSON_LINE_COLUMN] if with_line else [])]
    types = types or {}

    def sql_type(column: str) -> str:
        if column == JSON_LINE_COLUMN:
            return "BIGINT"
        return types.get(column, "JSON")

    spec = ", ".join(f"{quote_literal(c)}: '{sql_type(c)}'" for c in columns)
    return (
        f"read_json({_paths_sql(paths)}, format = 'newline_delimited', "
        f"columns = {{{spec}}}, hive_partitioning = false, filename = '{FILE_COLUMN}')"
    )


# Parquet's own row number in each file (DuckDB's `file_row_number` option), counted from 0.
PARQUET_ROW_COLUMN = "file_row_number"


def parquet_scan(paths: Sequence[Path], names: tuple[str, ...]) -> str:
    """Parquet files sharing one schema; a table alias with column names renames the files'
    columns by position (DuckDB would rename a second `a` to `a_1`)."""
    aliases = ", ".join(quote_ident(name) for name in names)
    return (
        f"read_parquet({_paths_sql(paths)}, hive_partitioning = false, "
        f"file_row_number = true, filename = '{FILE_COLUMN}') AS f({aliases})"
    )


# Files of a scan without record numbers of its own that are numbered one scan each: up to
# this many, a scan per file (`relation_sql`); more, and the cost of planning a scan per file
# outgrows that of numbering the rows of one scan over all of them.
SCANS_PER_FILE_UP_TO = 16


def relation_sql(
    scan: Callable[[Sequence[Path]], str],
    files: Sequence[tuple[Path, str, date]],
    line_column: str | None = None,
    first_line: int = 1,
) -> str:
    """The rows of `scan` (the scan of some paths, aliased `f`, path in `__file`) over `files`
    ((path scanned, landing file, export date)) with their lineage: `_source_row`,
    `_source_file` and `_partition_dt`.

    A record's number in its file is `line_column` when the scan has one (a file re-read from
    a scratch copy keeps its original number; Parquet numbers its rows from `first_line` 0).
    Otherwise it is the row's place in its file's rows (DuckDB preserves insertion order):
    with few files, each file is scanned on its own and numbered as it is read; with many,
    one scan numbers every row and each file's first number is taken away, a window over every
    row and column that costs more than the rest of the validation when the files are large."""
    if not line_column and len(files) <= SCANS_PER_FILE_UP_TO:
        return " UNION ALL ".join(
            f"SELECT row_number() OVER () AS _source_row, {quote_literal(relative)} AS "
            f"_source_file, DATE '{dt.isoformat()}' AS _partition_dt, "
            f"f.* EXCLUDE ({FILE_COLUMN}) FROM {scan([path])}"
            for path, relative, dt in files
        )
    lineage = ", ".join(
        f"({quote_literal(str(path))}, {quote_literal(relative)}, DATE '{dt.isoformat()}')"
        for path, relative, dt in files
    )
    scanned = scan([path for path, _, _ in files])
    if line_column:
        numbered = f"SELECT * FROM {scanned}"
        row_number = f"CAST(f.{quote_ident(line_column)} AS BIGINT) + {1 - first_line}"
        internal = [FILE_COLUMN, quote_ident(line_column)]
    else:
        numbered = f"SELECT row_number() OVER () AS __n, * FROM {scanned}"
        row_number = "__n - min(__n) OVER (PARTITION BY m.__path) + 1"
        internal = ["__n", FILE_COLUMN]
    return (
        f"SELECT {row_number} AS _source_row, m._source_file, m._partition_dt, "
        f"f.* EXCLUDE ({', '.join(internal)}) "
        f"FROM ({numbered}) f "
        f"JOIN (VALUES {lineage}) m(__path, _source_file, _partition_dt) "
        f"ON f.{FILE_COLUMN} = m.__path"
    )


MONEY_PLAIN = r"[+-]?[0-9]+(\.[0-9]{0,2}0*)?"


MONEY_SYNTAX = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"


# ISO 8601: a date, optionally a time, optionally Z, UTC, GMT or an offset within ±14:00.
TIMESTAMP_SYNTAX = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?"
    r"\s*(Z|UTC|GMT|[+-](0[0-9]|1[0-3])(:?[0-5][0-9])?|[+-]14(:?00)?)?"
)


# A date and time followed by something that is not an accepted zone: CST, +25:00, Asia/Tokyo.
TIMESTAMP_DATE_TIME = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
TIMESTAMP_OTHER_ZONE = TIMESTAMP_DATE_TIME + r"\s*[^\s].*"


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


def reject_reason_cases(source: Source) -> list[tuple[str, str, str]]:
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
            # Only when the date and time before the zone are valid: an impossible date with a
            # good offset (2021-02-30T10:00:00+08:00) is an invalid timestamp, not a bad zone.
            date_time = f"regexp_extract(trim({text}), '^{TIMESTAMP_DATE_TIME}')"
            case(
                f"{present} AND {typed} IS NULL "
                f"AND regexp_full_match(trim({text}), '{TIMESTAMP_OTHER_ZONE}') "
                f"AND try_cast({date_time} AS TIMESTAMP) IS NOT NULL",
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


INTEGER_TYPES = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
)


def _native_sql(column: Column, file_type: str | None) -> str | None:
    """The typed value straight from a Parquet value that already has the contract's type (a
    timestamp, an integer, a decimal with at most two places), else None: such values are
    never turned into text and parsed back."""
    ident = quote_ident(column.name)
    if column.kind == "timestamp" and file_type in NATIVE_TIMESTAMP_TYPES:
        return f"{ident}::TIMESTAMPTZ"  # without a zone: Asia/Shanghai time
    if column.kind == "integer" and file_type in INTEGER_TYPES:
        return f"TRY_CAST({ident} AS BIGINT)"
    places = re.fullmatch(r"DECIMAL\(\d+,(\d+)\)", file_type or "")
    if column.kind == "money" and places and int(places.group(1)) <= 2:
        return f"{ident}::DECIMAL(38, 2)"
    return None


def validated_sql(source: Source, file_relation: str, file_types: dict[str, str]) -> str:
    """Rows of files read together (`file_relation`, with their lineage columns) with typed
    columns and `_reject_code`/`_reject_reason` (NULL when valid)."""
    text_columns, nested, nul, typed_columns = [], [], [], []
    for c in source.columns:
        file_type = file_types.get(c.name)
        ident = quote_ident(c.name)
        text, is_nested = _text_and_nested_sql(c.name, file_type)
        native = _native_sql(c, file_type)
        typed = _typed_sql(c, f"v_{c.name}")
        if native is not None:
            # The rules read a value's text only to tell whether it is there.
            text = f"CASE WHEN {ident} IS NOT NULL THEN 'native' END"
            text_columns.append(f"{native} AS n_{c.name}")
            typed = f"n_{c.name}" if c.kind != "money" else typed
        text_columns.append(f"{text} AS v_{c.name}")
        if c.kind == "money":
            double = ident if file_type in ("DOUBLE", "FLOAT") else None
            money = f"n_{c.name}" if native is not None else _money_sql(text, double)
            text_columns.append(f"{money} AS m_{c.name}")
        nested.append(f"WHEN {is_nested} THEN {quote_literal(c.name)}")
        if c.kind in ("id", "string", "enum"):
            nul.append(f"WHEN contains(v_{c.name}, chr(0)) THEN {quote_literal(c.name)}")
        if c.default is not None:
            typed = f"coalesce({typed}, {c.default})"
        typed_columns.append(f"{typed}::{SQL_TYPES[c.kind]} AS {ident}")
    cases = reject_reason_cases(source)
    code = " ".join(f"WHEN {cond} THEN {quote_literal(code)}" for cond, code, _ in cases)
    # The reason follows from the code: its conditions are evaluated once, not twice.
    message = " ".join(f"WHEN {quote_literal(code)} THEN {msg}" for _, code, msg in cases)
    if len({code for _, code, _ in cases}) != len(cases):
        raise ValueError(f"{source.name}: two reject reasons share a code")
    typed_names = ", ".join(quote_ident(c.name) for c in source.columns)
    # Only the typed values and the verdict are kept: the text forms are not stored.
    return f"""
        WITH file_rows AS (
            SELECT _source_row, _source_file, _partition_dt, {", ".join(text_columns)},
                CASE {" ".join(nested)} END AS _nested,
                _partition_dt AS _export_date
            FROM {file_relation}
        ), text_rows AS (
            SELECT *, CASE {" ".join(nul)} END AS _nul FROM file_rows
        ), typed_rows AS (
            SELECT *, {", ".join(typed_columns)} FROM text_rows
        ), verdicts AS (
            SELECT *, CASE {code} END AS _reject_code FROM typed_rows
        )
        SELECT _source_row, _source_file, _partition_dt, {typed_names}, _reject_code,
            CASE _reject_code {message} END AS _reject_reason
        FROM verdicts
    """

"""Each landing format's way in: Parquet, CSV and JSON Lines, with their cold paths (a file
DuckDB cannot read as a whole is read record by record, each bad record rejected on its own)."""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import tempfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

import duckdb

from orchestration.landing.contract import Source
from orchestration.landing.files import (
    MAX_RAW_CHARS,
    FileContext,
    Staged,
    finish_files,
    forget_files,
    raise_if_the_machine_failed,
    reject_duplicates,
    reject_not_utf8,
    reject_unreadable_file,
    write_accepted,
)
from orchestration.landing.text import (
    MAX_LINE_BYTES,
    NotUtf8,
    utf8_lines,
)
from orchestration.landing.validation import (
    FILE_COLUMN,
    JSON_LINE_COLUMN,
    JSON_TYPED_READ,
    MASK,
    PARQUET_ROW_COLUMN,
    ROW_COLUMN,
    TEXT_KINDS,
    FileColumns,
    csv_scan,
    json_scan,
    match_columns,
    parquet_scan,
    relation_sql,
)
from orchestration.sql import quote_literal


@dataclass(frozen=True)
class HotRead:
    """A file the hot path reads with one DuckDB statement, together with every other file of
    the same `key` (format, compression, columns and their types): a range of export dates
    costs a statement per kind of file, not one per file."""

    ctx: FileContext
    key: tuple[object, ...]
    columns: tuple[str, ...]  # the names the file's columns are read under
    personal: frozenset[str]
    scan: Callable[[Sequence[Path]], str]  # the files' rows, aliased `f`, path in `__file`
    cold: Callable[[FileContext, duckdb.Error], Staged]  # when DuckDB cannot read it as a whole
    # The scan's own record number and what it counts from, if it has one (`relation_sql`).
    row_number: tuple[str, int] | tuple[()] = ()
    # The scan a rejected row's raw record is taken from, when not `scan` (a typed read keeps
    # the raw records of the read it stands in for).
    raw_scan: Callable[[Sequence[Path]], str] | None = None


def read_together(reads: Sequence[HotRead]) -> dict[str, int]:
    """Validate the rows of files of one key into the temp tables in one statement; return each
    file's row count. Raises duckdb.Error when any file cannot be read as a whole."""
    first = reads[0]
    files = [read.ctx.scanned_as() for read in reads]
    relation = relation_sql(first.scan, files, *first.row_number)
    raw = relation_sql(first.raw_scan, files, *first.row_number) if first.raw_scan else None
    ctxs = [read.ctx for read in reads]
    return finish_files(ctxs, relation, first.columns, first.personal, raw_relation=raw)


def read_hot(reads: Sequence[HotRead]) -> list[tuple[FileContext, Staged]]:
    """Read files of one key together; when that fails, each alone, then by its cold path."""
    if len(reads) > 1:
        try:
            rows = read_together(reads)
            return [(read.ctx, Staged(rows.get(read.ctx.relative, 0))) for read in reads]
        except duckdb.Error as error:
            raise_if_the_machine_failed(error)
            forget_files([read.ctx for read in reads])
    staged = []
    for read in reads:
        try:
            rows = read_together([read])
            staged.append((read.ctx, Staged(rows.get(read.ctx.relative, 0))))
        except duckdb.Error as error:
            raise_if_the_machine_failed(error)
            forget_files([read.ctx])
            staged.append((read.ctx, read.cold(read.ctx, error)))
    return staged


def write_hot(reads: Sequence[HotRead], table: str) -> bool:
    """Insert the rows of files of one key into `table` in one statement, on the connection's
    open transaction, when every row is accepted. False when a file cannot be read so or a row
    would be rejected: the statement failed, and the caller rolls the transaction back."""
    first = reads[0]
    files = [read.ctx.scanned_as() for read in reads]
    relation = relation_sql(first.scan, files, *first.row_number)
    try:
        return write_accepted([read.ctx for read in reads], relation, table)
    except duckdb.Error as error:
        raise_if_the_machine_failed(error)
        return False


def _compressed(path: Path) -> bool:
    return path.name.lower().endswith(".gz")


def plan_parquet(ctx: FileContext) -> HotRead | Staged:
    try:
        # The file's own top-level names (DuckDB would rename a second `a` to `a_1`), and its
        # whole schema: files read together must agree on it.
        schema = ctx.conn.execute(
            "SELECT name, num_children, type, type_length, repetition_type, converted_type, "
            "scale, precision, logical_type::VARCHAR "
            f"FROM parquet_schema({quote_literal(str(ctx.path))})"
        ).fetchall()
        columns = match_columns(ctx.source, _top_level_names(schema))
        if columns.duplicates:
            relation = relation_sql(
                lambda paths: parquet_scan(paths, columns.names), [ctx.scanned_as()]
            )
            return Staged(reject_duplicates(ctx, relation, columns, "schema"))
    except duckdb.Error as error:
        raise_if_the_machine_failed(error)
        return reject_unreadable_file(ctx, error)
    names = columns.names
    return HotRead(
        ctx,
        ("parquet", names, tuple(schema[1:])),
        names,
        columns.personal,
        lambda paths: parquet_scan(paths, names),
        reject_unreadable_file,
        (PARQUET_ROW_COLUMN, 0),
    )


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


def plan_csv(ctx: FileContext, head: bytes) -> HotRead | Staged:
    try:
        header = _csv_header(head)
    except csv.Error as error:
        return reject_unreadable_file(ctx, error)
    if header is None:
        return reject_unreadable_file(ctx, ValueError("no header row"))
    columns = match_columns(ctx.source, header)
    if columns.duplicates:
        relation = relation_sql(
            lambda paths: csv_scan(paths, columns.names) + " f", [ctx.scanned_as()]
        )
        try:
            return Staged(reject_duplicates(ctx, relation, columns, "header"))
        except duckdb.Error as error:
            raise_if_the_machine_failed(error)
            forget_files([ctx])
            return stage_csv_cold(ctx, columns)
    names = columns.names
    return HotRead(
        ctx,
        ("csv", _compressed(ctx.path), names),
        names,
        columns.personal,
        lambda paths: csv_scan(paths, names) + " f",
        lambda ctx, _error: stage_csv_cold(ctx, columns),
    )


def stage_csv_cold(ctx: FileContext, columns: FileColumns) -> Staged:
    """The cold path: a row DuckDB could not read (wrong number of fields, broken quoting, a
    stream that ends early). Python reads the rows; the good ones go to DuckDB from a scratch
    copy that keeps their row numbers."""
    with tempfile.TemporaryDirectory(prefix="lcw-ingest-") as scratch:
        clean = Path(scratch) / "clean.csv"
        try:
            bad, truncated = _split_csv(ctx, columns, clean)
        except NotUtf8 as error:
            return reject_not_utf8(ctx, str(error))
        except (EOFError, zlib.error, OSError) as error:
            raise_if_the_machine_failed(error)  # a full disk under the scratch copy
            return reject_unreadable_file(ctx, error)
        relation = relation_sql(
            lambda paths: csv_scan(paths, (*columns.names, ROW_COLUMN)) + " f",
            [ctx.scanned_as(clean)],
            ROW_COLUMN,
        )
        try:
            if columns.duplicates:
                rows = reject_duplicates(ctx, relation, columns, "header")
            else:
                read = finish_files([ctx], relation, columns.names, columns.personal)
                rows = read.get(ctx.relative, 0)
        except duckdb.Error as error:
            raise_if_the_machine_failed(error)
            forget_files([ctx])
            return reject_unreadable_file(ctx, error)
    ctx.reject_many(bad)
    return Staged(rows + len(bad), truncated=truncated)


def _split_csv(
    ctx: FileContext, columns: FileColumns, clean: Path
) -> tuple[list[tuple[int | None, str, str, str | None]], bool]:
    """Rows with the header's number of fields go to `clean` (with their row number); the others
    are rejected one by one. Returns the rejects and whether the stream ended early."""
    bad: list[tuple[int | None, str, str, str | None]] = []
    width = len(columns.names)
    # The csv module's field limit is process-wide; raise it (never lower it) to the line limit.
    csv.field_size_limit(max(csv.field_size_limit(), MAX_LINE_BYTES))
    lines = utf8_lines(ctx.path)
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


# A JSON key that may name a contract column only once normalised as headers are
# (`validation.match_columns`: any case, surrounding spaces ignored): one with a character
# outside [a-z0-9_], such as an upper-case letter, a space, or a \u or \t escape. DuckDB reads
# keys as spelled, so a file with such a key that names a contract column goes to the cold path,
# which normalises keys. Group 1 is the key as written (escapes undecoded).
KEY_TO_NORMALISE = r'"([^"]*[^a-z0-9_"][^"]*)"\s*:'


# The end of every match of KEY_TO_NORMALISE (a character outside [a-z0-9_] and what follows
# it up to the key's closing quote and colon): it matches wherever KEY_TO_NORMALISE does, and
# RE2 runs it over a line in two thirds of the time. The screen looks for it; the keys are
# then taken from the lines it finds with KEY_TO_NORMALISE.
KEY_TO_NORMALISE_END = r'[^a-z0-9_"][^"]*"\s*:'


# After a key: a value that is neither a string nor null (a number, true, false, NaN, Infinity,
# an object, an array). `\s` holds JSON's whitespace.
NOT_TEXT_VALUE = r'\s*:\s*([^"n\s]|n($|[^u])|nu($|[^l])|nul($|[^l])|null($|[^\s,}]))'


# A key with a \u escape: DuckDB matches the key it spells (`"order\u005fid"` is `order_id`),
# which the plain text does not show.
ESCAPED_KEY = r'\\u[0-9A-Fa-f]{4}[A-Za-z0-9_\\]*"\s*:'


# A line that does not close its object: DuckDB may read a record across the line reader's
# breaks (a lone carriage return), where a key and its value fall on different lines.
UNFINISHED_LINE = r"[^}\s]\s*$"


def unproven_line(source: Source) -> str:
    """A pattern for the lines that keep a file off the text read (`read_as_text`): a text
    column's key with a value that is not a string or null, an escaped key, an unfinished
    line. It can match where nothing is wrong (inside a string), never miss a line that needs
    the exact read."""
    keys = _plain_keys(source, TEXT_KINDS)
    text_key = f'"({"|".join(keys)})"' + NOT_TEXT_VALUE
    return "|".join((text_key, ESCAPED_KEY, UNFINISHED_LINE))


def _plain_keys(source: Source, kinds: frozenset[str]) -> list[str]:
    keys = [c.name for c in source.columns if c.kind in kinds]
    if not all(re.fullmatch(r"[a-z0-9_]+", key) for key in keys):
        raise ValueError(f"{source.name}: a column name the pattern cannot hold as it is")
    return keys


# The values the typed read (`read_typed`) takes, each followed by the end of the value
# (`TYPED_END`, or the closing quote of a string): DuckDB's JSON reader turns them into the
# same BIGINT, DECIMAL and TIMESTAMPTZ as the exact path turns their text into. An integer of at
# most 18 digits; an amount of at most 12 digits and 2 decimal places (a double holds it to the
# cent); both also as a JSON string. A timestamp string with seconds and an explicit offset
# within ±13:59 (the reader takes a timestamp without one as UTC, the exact path as Shanghai
# time). Anything else is read the text way, which takes every value apart.
TYPED_INTEGER = r"-?[0-9]{1,18}"
TYPED_MONEY = r"-?[0-9]{1,12}(\.[0-9]{1,2})?"
TYPED_TIMESTAMP = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?"
    r"(Z|[+-](0[0-9]|1[0-3])(:?[0-5][0-9])?)"
)
TYPED_END = r"\s,}"


# A value that is neither null nor a number nor a string (the value's first character), or
# `n` that does not spell null.
_NOT_NUMBER_START = r'[^-0-9n"\s]'
_NOT_NULL = r"n($|[^u])|nu($|[^l])|nul($|[^l])|null($|[^\s,}])"


def _integer_deviations(end: str) -> list[str]:
    """Where a value that starts like TYPED_INTEGER leaves it before `end` (a character class)."""
    return ["-[^0-9]", "-?[0-9]{19}", f"-?[0-9]{{1,18}}[^0-9{end}]"]


def _money_deviations(end: str) -> list[str]:
    """Where a value that starts like TYPED_MONEY leaves it before `end`."""
    digits = "-?[0-9]{1,12}"
    return [
        "-[^0-9]",
        "-?[0-9]{13}",
        f"{digits}[^0-9.{end}]",
        rf"{digits}\.[^0-9]",
        rf"{digits}\.[0-9]{{3}}",
        rf"{digits}\.[0-9]{{1,2}}[^0-9{end}]",
    ]


def _number_deviation(deviations: Callable[[str], list[str]]) -> str:
    """A value that is not null, a number of the shape or a string holding one."""
    as_number = deviations(TYPED_END)
    as_string = ['"[^-0-9]'] + ['"' + d for d in deviations('"')]
    return "|".join([_NOT_NUMBER_START, _NOT_NULL, *as_number, *as_string])


# TYPED_TIMESTAMP's date and time: runs of (character class, length).
_DATE_TIME = (("0-9", 4), ("-", 1), ("0-9", 2), ("-", 1), ("0-9", 2), ("T ", 1),
              ("0-9", 2), (":", 1), ("0-9", 2), (":", 1), ("0-9", 2))  # fmt: skip


def _timestamp_deviation() -> str:
    """A string that leaves TYPED_TIMESTAMP: at the first character off the date and time, or
    in what follows them (fraction, offset, closing quote)."""
    deviations, prefix = [], ""
    for chars, length in _DATE_TIME:
        some = f"[{chars}]{{0,{length - 1}}}" if length > 1 else ""
        deviations.append(f"{prefix}{some}[^{chars}]")
        prefix += f"[{chars}]" + (f"{{{length}}}" if length > 1 else "")
    fraction = rf"{prefix}(\.[0-9]{{1,6}})?"
    hours = "(0[0-9]|1[0-3])"
    deviations += [
        f"{prefix}[^.Z+-]",
        rf"{prefix}\.([^0-9]|[0-9]{{7}})",
        rf"{prefix}\.[0-9]{{1,6}}[^0-9Z+-]",
        f'{fraction}Z[^"]',
        f"{fraction}[+-]([^01]|0[^0-9]|1[^0-3])",
        f'{fraction}[+-]{hours}([^":0-5]|:[^0-5]|:?[0-5][^0-9]|:?[0-5][0-9][^"])',
    ]
    return '"(' + "|".join(deviations) + ")"


def untyped_line(source: Source) -> str:
    """A pattern for the lines that keep a file off the typed read (`read_typed`): an integer,
    money or timestamp column's key with a value outside TYPED_INTEGER, TYPED_MONEY or
    TYPED_TIMESTAMP (or null). Like `unproven_line`, it may match where nothing is wrong,
    never misses a value the typed read could read differently from the exact path."""
    parts = []
    for kinds, deviation in (
        (frozenset({"integer"}), _number_deviation(_integer_deviations)),
        (frozenset({"money"}), _number_deviation(_money_deviations)),
        (frozenset({"timestamp"}), _timestamp_deviation()),
    ):
        keys = _plain_keys(source, kinds)
        if keys:
            parts.append(f'"({"|".join(keys)})"' + rf"\s*:\s*({deviation})")
    return "|".join(parts) or "$^"


def imprecise_money_line(source: Source) -> str:
    """A pattern for the lines with an amount written as a JSON number with a fraction or an
    exponent and 16 digits or more: DuckDB's JSON reader (every hot read) holds a number as a
    double, which keeps 15, so `9.999999999999999999` would load as 10.00 where its spelling
    has more than two decimal places. Only the cold path, which keeps the spelling, can give it
    its reject. (A long whole number is above every amount's bound, whatever the double.)"""
    keys = _plain_keys(source, frozenset({"money"}))
    if not keys:
        return "$^"
    split = [rf"[0-9]{{{whole}}}\.[0-9]{{{16 - whole}}}" for whole in range(16)]
    long_number = "|".join([r"[0-9]{16,}[.eE]", *split])
    return f'"({"|".join(keys)})"' + rf"\s*:\s*-?({long_number})"


@dataclass(frozen=True)
class Screened:
    """What the screen found in one JSON Lines file."""

    keys: set[str]  # keys to normalise (KEY_TO_NORMALISE), escapes decoded
    unproven: bool  # a line `unproven_line` matches: the exact read
    untyped: bool  # a line `untyped_line` matches: no typed read
    imprecise: bool  # a line `imprecise_money_line` matches: the cold path


def screen_lines(
    conn: duckdb.DuckDBPyConnection, source: Source, paths: Sequence[Path]
) -> dict[str, Screened]:
    """By path, for JSON Lines files read in one statement: what `Screened` holds. Raises
    duckdb.Error when a file cannot be read as lines. Every line is matched against one pattern
    that finds all three; only the few lines it finds are taken apart."""
    listed = "[" + ", ".join(quote_literal(str(path)) for path in paths) + "]"
    lines = (
        f"read_csv({listed}, columns = {{'l': 'VARCHAR'}}, header = false, "
        "auto_detect = false, delim = '\\x01', quote = '', escape = '', hive_partitioning = false, "
        f"filename = '{FILE_COLUMN}')"
    )
    unproven, untyped = unproven_line(source), untyped_line(source)
    imprecise = imprecise_money_line(source)
    anything = "|".join((KEY_TO_NORMALISE_END, unproven, untyped, imprecise))
    either = f"regexp_matches(l, {quote_literal(anything)})"
    found = conn.execute(
        f"SELECT {FILE_COLUMN}, "
        f"list_distinct(flatten(list(CASE WHEN {either} "
        f"THEN regexp_extract_all(l, {quote_literal(KEY_TO_NORMALISE)}, 1) END))), "
        f"bool_or(CASE WHEN {either} THEN regexp_matches(l, {quote_literal(unproven)}) END), "
        f"bool_or(CASE WHEN {either} THEN regexp_matches(l, {quote_literal(untyped)}) END), "
        f"bool_or(CASE WHEN {either} THEN regexp_matches(l, {quote_literal(imprecise)}) END) "
        f"FROM {lines} GROUP BY 1"
    ).fetchall()
    return {
        path: Screened(
            {_decoded_key(key) for key in keys or []} - {None},
            bool(any_unproven),
            bool(any_untyped),
            bool(any_imprecise),
        )
        for path, keys, any_unproven, any_untyped, any_imprecise in found
    }


def _decoded_key(written: str) -> str | None:
    """A key as written in JSON, decoded as the cold path reads it; None when the text is not a
    whole key (the pattern began at an escaped quote), which then names no column."""
    try:
        return json.loads(f'"{written}"', strict=False)
    except ValueError:
        return None


def plan_json_lines(ctx: FileContext, head: bytes) -> HotRead | Staged:
    if head.startswith(codecs.BOM_UTF8):
        return stage_json_lines_cold(ctx)
    source = ctx.source
    return HotRead(
        ctx,
        ("jsonl", _compressed(ctx.path)),
        source.column_names,
        personal_columns_of(source),
        lambda paths: json_scan(paths, source, with_line=False) + " f",
        lambda ctx, _error: stage_json_lines_cold(ctx),
    )


def read_as_text(read: HotRead) -> HotRead:
    """The hot read of a JSON Lines file whose text columns hold only strings and nulls (the
    screen found no unproven line): those columns are read as VARCHAR, which gives the same
    values and raw records as taking JSON apart, at a fraction of the cost. Should DuckDB fail
    to read the file so, it is read the exact way, and then, failing that, by the cold path."""
    source = read.ctx.source
    as_text = {c.name: "VARCHAR" for c in source.columns if c.kind in TEXT_KINDS}
    return replace(
        read,
        key=(*read.key, "text"),
        scan=lambda paths: json_scan(paths, source, with_line=False, types=as_text) + " f",
        cold=lambda _ctx, _error: read_hot([read])[0][1],
    )


def read_typed(read: HotRead) -> HotRead:
    """The hot read of a JSON Lines file that the text read could take and whose integers,
    amounts and timestamps all have the shapes of `untyped_line` (the screen found no untyped
    line): DuckDB's JSON reader types them (`JSON_TYPED_READ`) into the values the exact path
    parses from their text, and validation starts from those, as for Parquet. A rejected row's
    raw record comes from the text read, so it is the same as the exact path's. Should DuckDB
    fail to read the file so (an impossible date, an integer string with leading zeros), it is
    read the text way, and so on down."""
    text = read_as_text(read)
    source = read.ctx.source
    types = {c.name: JSON_TYPED_READ[c.kind] for c in source.columns}
    return replace(
        text,
        key=(*read.key, "typed"),
        scan=lambda paths: json_scan(paths, source, with_line=False, types=types) + " f",
        raw_scan=text.scan,
        cold=lambda _ctx, _error: read_hot([text])[0][1],
    )


def screen_json_lines(
    reads: Sequence[HotRead], conn: duckdb.DuckDBPyConnection
) -> tuple[list[HotRead], list[HotRead]]:
    """(files the hot path can read, files that need Python), screened on `conn`: a file naming
    a contract key another way (`Order_ID`, `" order_id"`, `"\\u004frder_id"`) would lose that
    value to DuckDB's exact keys, and a file that cannot be read as lines needs the cold path
    anyway. A file without an unproven line is read with its text columns as text
    (`read_as_text`), and without an untyped line either, with its columns typed
    (`read_typed`)."""
    source = reads[0].ctx.source
    try:
        found = screen_lines(conn, source, [read.ctx.path for read in reads])
    except duckdb.Error as error:
        raise_if_the_machine_failed(error)
        if len(reads) == 1:
            return [], list(reads)
        hot: list[HotRead] = []
        cold: list[HotRead] = []
        for read in reads:  # find the file that cannot be read, screen the others
            one_hot, one_cold = screen_json_lines([read], conn)
            hot += one_hot
            cold += one_cold
        return hot, cold
    contract = set(source.column_names)
    hot, cold = [], []
    for read in reads:
        screened = found.get(str(read.ctx.path), Screened(set(), True, True, True))
        if screened.imprecise or any(key.strip().lower() in contract for key in screened.keys):
            cold.append(read)
        elif screened.unproven:
            hot.append(read)
        elif screened.untyped:
            hot.append(read_as_text(read))
        else:
            hot.append(read_typed(read))
    return hot, cold


@contextmanager
def screen_connection(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection for the screen that runs beside a read on `conn`: an in-memory database of
    its own, with one thread, `conn`'s memory limit and no spilling (its state is a few values
    per file; an in-memory database would otherwise spill into the working directory). The
    read numbers its records on about one core; on a thread of its own (not `conn`'s, which
    the read keeps), the screen takes the other one. (A cursor of `conn` shared its threads: a
    load of 1 M order versions as .jsonl.gz took 3.05 s that way and 2.64 s this way.)"""
    (memory_limit,) = conn.execute("SELECT current_setting('memory_limit')").fetchone()
    config = {"threads": 1, "memory_limit": memory_limit, "temp_directory": ""}
    with closing(duckdb.connect(config=config)) as screen:
        yield screen


def read_json_lines(reads: Sequence[HotRead]) -> list[tuple[FileContext, Staged]]:
    """Stage JSON Lines files of one key, each read the way the screen allows
    (`screen_json_lines`). The screen runs on a connection of its own (`screen_connection`)
    while this one reads every file typed (`read_typed`), the read most files get. A file the
    screen does not clear for the typed read loses what that read staged and is read its own
    way, as is every file when the typed read fails."""
    conn = reads[0].ctx.conn
    typed = [read_typed(read) for read in reads]
    with screen_connection(conn) as screen_conn, ThreadPoolExecutor(max_workers=1) as pool:
        screening = pool.submit(screen_json_lines, reads, screen_conn)
        try:
            rows = read_together(typed)
        except duckdb.Error as error:
            raise_if_the_machine_failed(error)
            forget_files([read.ctx for read in reads])
            rows = None
        hot, cold = screening.result()
    staged: list[tuple[FileContext, Staged]] = []
    cleared: set[str] = set()  # the files whose typed rows stay staged
    if rows is not None:
        cleared = {read.ctx.relative for read in hot if read.key == typed[0].key}
        for read in typed:
            if read.ctx.relative in cleared:
                staged.append((read.ctx, Staged(rows.get(read.ctx.relative, 0))))
        if len(cleared) < len(reads):
            forget_files([read.ctx for read in reads if read.ctx.relative not in cleared])
    staged += [(read.ctx, stage_json_lines_cold(read.ctx)) for read in cold]
    same_key: dict[tuple[object, ...], list[HotRead]] = {}
    for read in hot:
        if read.ctx.relative not in cleared:
            same_key.setdefault(read.key, []).append(read)
    for group in same_key.values():
        staged += read_hot(group)
    return staged


def write_json_lines_typed(reads: Sequence[HotRead], table: str) -> bool:
    """`write_hot` for JSON Lines files of one key, all read typed (`read_typed`), with the
    screen beside the read as in `read_json_lines`: True only when the screen also clears every
    file for the typed read."""
    conn = reads[0].ctx.conn
    typed = [read_typed(read) for read in reads]
    with screen_connection(conn) as screen_conn, ThreadPoolExecutor(max_workers=1) as pool:
        screening = pool.submit(screen_json_lines, reads, screen_conn)
        written = write_hot(typed, table)
        hot, cold = screening.result()
    return written and not cold and all(read.key == typed[0].key for read in hot)


def stage_json_lines_cold(ctx: FileContext) -> Staged:
    """The cold path for a JSON Lines file: Python reads the lines (see `_split_json_lines`);
    the good ones go to DuckDB from a scratch copy that keeps their record numbers."""
    source = ctx.source
    with tempfile.TemporaryDirectory(prefix="lcw-ingest-") as scratch:
        clean = Path(scratch) / "clean.jsonl"
        try:
            bad, truncated = _split_json_lines(ctx, clean)
        except NotUtf8 as error:
            return reject_not_utf8(ctx, str(error))
        except (EOFError, zlib.error, OSError) as error:
            raise_if_the_machine_failed(error)  # a full disk under the scratch copy
            return reject_unreadable_file(ctx, error)
        relation = relation_sql(
            lambda paths: json_scan(paths, source, with_line=True) + " f",
            [ctx.scanned_as(clean)],
            JSON_LINE_COLUMN,
        )
        try:
            rows = finish_files([ctx], relation, source.column_names, personal_columns_of(source))
        except duckdb.Error as error:
            raise_if_the_machine_failed(error)
            forget_files([ctx])
            return reject_unreadable_file(ctx, error)
    ctx.reject_many(bad)
    return Staged(rows.get(ctx.relative, 0) + len(bad), truncated=truncated)


def _plain(value: object) -> object:
    """A value parsed with object_pairs_hook=_Pairs and parse_float=Decimal, nested objects
    back as dicts and numbers with a fraction or exponent back as the floats json reads."""
    if isinstance(value, _Pairs):
        return {key: _plain(item) for key, item in value}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, Decimal):
        return float(value)
    return value


class _Pairs(list):  # type: ignore[type-arg]
    """A JSON object's (key, value) pairs in order, duplicates kept."""


def personal_columns_of(source: Source) -> frozenset[str]:
    return frozenset(source.personal_columns)


def _split_json_lines(
    ctx: FileContext, clean: Path
) -> tuple[list[tuple[int | None, str, str, str | None]], bool]:
    """The cold path for a JSON Lines file: set aside the lines that are not JSON objects or name
    a key twice, and write the others to `clean` with contract keys in contract case and their
    record number (blank lines are not records, as on the hot path, so a file's row numbers do
    not depend on the path that read it). Returns the rejects and whether the stream ended
    early."""
    contract = {c.lower(): c for c in ctx.source.column_names}
    personal = {c.lower() for c in ctx.source.personal_columns}
    money = {c.name for c in ctx.source.columns if c.kind == "money"}
    bad: list[tuple[int | None, str, str, str | None]] = []
    truncated = False
    number = 0
    with open(clean, "w", encoding="utf-8") as out:
        lines = utf8_lines(ctx.path)
        while True:
            try:
                line = next(lines)
            except StopIteration:
                break
            except (EOFError, zlib.error, OSError) as error:
                truncated = _broken_stream(bad, error, read_any=number > 0)
                break
            if not line.strip():
                continue  # a blank line is no record (DuckDB skips it on the hot path too)
            number += 1
            text = line.rstrip("\r\n")
            try:
                pairs = json.loads(
                    text, object_pairs_hook=_Pairs, strict=False, parse_float=Decimal
                )
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
            record = {}
            for key, value in pairs:
                column = contract.get(key.strip().lower(), key)
                spelled = column in money and isinstance(value, Decimal)
                record[column] = str(value) if spelled else _plain(value)
            record[JSON_LINE_COLUMN] = number
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return bad, truncated

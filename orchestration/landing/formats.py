"""Each landing format's way in: Parquet, CSV and JSON Lines, with their cold paths (a file
DuckDB cannot read as a whole is read record by record, each bad record rejected on its own)."""

from __future__ import annotations

import codecs
import csv
import io
import json
import tempfile
import zlib
from pathlib import Path

import duckdb

from orchestration.landing.contract import Source
from orchestration.landing.files import (
    MAX_RAW_CHARS,
    FileContext,
    Staged,
    finish_file,
    forget_file,
    reject_duplicates,
    reject_not_utf8,
    reject_unreadable_file,
)
from orchestration.landing.text import (
    MAX_LINE_BYTES,
    NotUtf8,
    utf8_lines,
)
from orchestration.landing.validation import (
    JSON_LINE_COLUMN,
    MASK,
    ROW_COLUMN,
    FileColumns,
    csv_scan,
    json_scan,
    match_columns,
    relation_sql,
)
from orchestration.sql import quote_ident, quote_literal


def stage_parquet(ctx: FileContext) -> Staged:
    location = quote_literal(str(ctx.path))
    try:
        # The file's own top-level names (DuckDB would rename a second `a` to `a_1`).
        schema = ctx.conn.execute(
            f"SELECT name, num_children FROM parquet_schema({location})"
        ).fetchall()
        given = _top_level_names(schema)
        columns = match_columns(ctx.source, given)
        # A table alias with column names renames the file's columns by position.
        aliases = ", ".join(quote_ident(name) for name in columns.names)
        relation = relation_sql(
            f"read_parquet({location}, hive_partitioning = false) AS f({aliases})", alias=""
        )
        if columns.duplicates:
            return Staged(reject_duplicates(ctx, relation, columns, "schema"))
        return Staged(finish_file(ctx, relation, columns.names, columns.personal))
    except duckdb.Error as error:
        return reject_unreadable_file(ctx, error)


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


def stage_csv(ctx: FileContext, head: bytes) -> Staged:
    try:
        header = _csv_header(head)
    except csv.Error as error:
        return reject_unreadable_file(ctx, error)
    if header is None:
        return reject_unreadable_file(ctx, ValueError("no header row"))
    columns = match_columns(ctx.source, header)
    relation = relation_sql(csv_scan(ctx.path, columns.names))
    try:
        if columns.duplicates:
            return Staged(reject_duplicates(ctx, relation, columns, "header"))
        return Staged(finish_file(ctx, relation, columns.names, columns.personal))
    except duckdb.Error:
        forget_file(ctx)
    # The cold path: a row DuckDB could not read (wrong number of fields, broken quoting, a
    # stream that ends early). Python reads the rows; the good ones go to DuckDB from a scratch
    # copy that keeps their row numbers.
    with tempfile.TemporaryDirectory(prefix="lcw-ingest-") as scratch:
        clean = Path(scratch) / "clean.csv"
        try:
            bad, truncated = _split_csv(ctx, columns, clean)
        except NotUtf8 as error:
            return reject_not_utf8(ctx, str(error))
        except (EOFError, zlib.error, OSError) as error:
            return reject_unreadable_file(ctx, error)
        relation = relation_sql(
            csv_scan(clean, (*columns.names, ROW_COLUMN)),
            f"f.* EXCLUDE ({quote_ident(ROW_COLUMN)})",
            ROW_COLUMN,
        )
        try:
            if columns.duplicates:
                rows = reject_duplicates(ctx, relation, columns, "header")
            else:
                rows = finish_file(ctx, relation, columns.names, columns.personal)
        except duckdb.Error as error:
            forget_file(ctx)
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


# JSON keys with an upper-case letter: a contract column in another case, found before reading.
UPPER_CASE_KEY = r'"[A-Za-z_]*[A-Z][A-Za-z_]*"\s*:'


def _upper_case_keys(ctx: FileContext) -> set[str] | None:
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


def stage_json_lines(ctx: FileContext, head: bytes) -> Staged:
    source = ctx.source
    needs_python = head.startswith(codecs.BOM_UTF8)
    if not needs_python:
        keys = _upper_case_keys(ctx)
        contract = set(source.column_names)
        needs_python = keys is None or any(key.lower() in contract for key in keys)
    if not needs_python:
        relation = relation_sql(json_scan(ctx.path, source, with_line=False))
        try:
            return Staged(
                finish_file(ctx, relation, source.column_names, personal_columns_of(source))
            )
        except duckdb.Error:
            forget_file(ctx)
    with tempfile.TemporaryDirectory(prefix="lcw-ingest-") as scratch:
        clean = Path(scratch) / "clean.jsonl"
        try:
            bad, truncated = _split_json_lines(ctx, clean)
        except NotUtf8 as error:
            return reject_not_utf8(ctx, str(error))
        except (EOFError, zlib.error, OSError) as error:
            return reject_unreadable_file(ctx, error)
        relation = relation_sql(
            json_scan(clean, source, with_line=True),
            f"f.* EXCLUDE ({quote_ident(JSON_LINE_COLUMN)})",
            JSON_LINE_COLUMN,
        )
        try:
            rows = finish_file(ctx, relation, source.column_names, personal_columns_of(source))
        except duckdb.Error as error:
            forget_file(ctx)
            return reject_unreadable_file(ctx, error)
    ctx.reject_many(bad)
    return Staged(rows + len(bad), truncated=truncated)


def _plain(value: object) -> object:
    """A value parsed with object_pairs_hook=_Pairs, nested objects back as dicts."""
    if isinstance(value, _Pairs):
        return {key: _plain(item) for key, item in value}
    if isinstance(value, list):
        return [_plain(item) for item in value]
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
    line number. Returns the rejects and whether the stream ended early."""
    contract = {c.lower(): c for c in ctx.source.column_names}
    personal = {c.lower() for c in ctx.source.personal_columns}
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

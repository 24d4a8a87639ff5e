"""Staging one landing file into the temp tables `_staged` and `_rejected`: the shared steps
(validate a relation, reject a whole file, forget a half-read file) every format uses."""

from __future__ import annotations

import errno
import io
import itertools
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from orchestration.landing.contract import Source
from orchestration.landing.text import guess_text, open_binary
from orchestration.landing.validation import (
    FileColumns,
    file_kind,
    raw_record_sql,
    validated_sql,
)
from orchestration.sql import quote_ident

GLOB_CHARACTERS = frozenset("*?[]")


# How much of a line a rejected row keeps.
MAX_RAW_CHARS = 10_000


# Tells the rows one validation staged (`_staged._read`) from those staged before it.
_READS = itertools.count(1)


@dataclass(frozen=True)
class Staged:
    """What staging one file found: records read (loaded + rejected) and file-level warnings."""

    records: int
    empty: bool = False
    truncated: bool = False


@dataclass(frozen=True)
class FileContext:
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

    def scanned_as(self, path: Path | None = None) -> tuple[Path, str, date]:
        """The file's lineage for `relation_sql`: read from `path` (a scratch copy) or itself."""
        return (path or self.path, self.relative, self.dt)


def finish_files(
    files: Sequence[FileContext],
    relation: str,
    columns: tuple[str, ...],
    personal: frozenset[str],
    raw_relation: str | None = None,
) -> dict[str, int]:
    """Validate the rows of `relation` (the rows of `files`, read together, with their lineage
    columns) into the temp tables; return how many rows each file had. A rejected row's raw
    record comes from `raw_relation` (the same rows, read another way) when given."""
    conn, source = files[0].conn, files[0].source
    # A view, not a table: the files are read once, by the validation below; only when rows are
    # rejected are they read again, for those rows' raw records.
    file_types = _file_rows_view(conn, relation)
    conn.execute(f"CREATE OR REPLACE TEMP VIEW _raw_rows AS {raw_relation or relation}")
    raw_record = raw_record_sql(columns, personal)
    missing = [c.name for c in source.columns if c.required and c.name not in file_types]
    if missing:
        conn.execute(
            "INSERT INTO _rejected SELECT ?, _partition_dt, _source_file, _source_row, "
            f"'missing_required_column', ?, {raw_record} FROM _raw_rows",
            [source.name, f"file lacks required column(s): {', '.join(missing)}"],
        )
        rows = conn.execute("SELECT _source_file, count(*) FROM _file_rows GROUP BY 1").fetchall()
        conn.execute("DROP VIEW _file_rows")
        conn.execute("DROP VIEW _raw_rows")
        return dict(rows)
    # Every row goes to `_staged` once, with its verdict: the accepted ones are copied from
    # there into raw (copying them into a table of their own first cost 5 to 8% of a load),
    # the rejected ones into the quarantine below.
    read = next(_READS)
    typed = ", ".join(quote_ident(c) for c in source.column_names)
    conn.execute(
        f"INSERT INTO _staged SELECT {typed}, _partition_dt, _source_file, _source_row, "
        f"_reject_code, _reject_reason, {read} "
        f"FROM ({validated_sql(source, '_file_rows', file_types)})"
    )
    counts = conn.execute(
        "SELECT _source_file, count(*), count(_reject_code) FROM _staged WHERE _read = ? "
        "GROUP BY 1",
        [read],
    ).fetchall()
    if any(rejected for _, _, rejected in counts):
        conn.execute(
            "INSERT INTO _rejected SELECT ?, v._partition_dt, v._source_file, v._source_row, "
            "v._reject_code, v._reject_reason, f._raw FROM _staged v JOIN ("
            f"  SELECT _source_file, _source_row, {raw_record} AS _raw FROM _raw_rows"
            "   WHERE (_source_file, _source_row) IN ("
            "       SELECT (_source_file, _source_row) FROM _staged"
            "       WHERE _read = ? AND _reject_code IS NOT NULL)"
            ") f USING (_source_file, _source_row) "
            "WHERE v._read = ? AND v._reject_code IS NOT NULL",
            [source.name, read, read],
        )
    conn.execute("DROP VIEW _file_rows")
    conn.execute("DROP VIEW _raw_rows")
    return {file: rows for file, rows, _ in counts}


def reject_duplicates(ctx: FileContext, relation: str, columns: FileColumns, what: str) -> int:
    """Every record of a file whose header or schema names a column twice is rejected."""
    conn = ctx.conn
    conn.execute(f"CREATE OR REPLACE TEMP TABLE _file AS {relation}")
    rows = conn.execute("SELECT count(*) FROM _file").fetchone()[0]
    message = (
        f"the file's {what} names {', '.join(columns.duplicates)} more than once (in any case); "
        "which one is meant is never guessed"
    )
    conn.execute(
        "INSERT INTO _rejected SELECT ?, _partition_dt, _source_file, _source_row, "
        f"'duplicate_column', ?, {raw_record_sql(columns.names, columns.personal)} FROM _file",
        [ctx.source.name, message],
    )
    conn.execute("DROP TABLE _file")
    return rows


def write_accepted(files: Sequence[FileContext], relation: str, table: str) -> bool:
    """Insert the rows of `relation` (the rows of `files`, read together, with their lineage
    columns) into `table` when validation accepts every one of them. False, with nothing
    inserted, when a required column is missing; the first row validation would reject fails
    the statement (duckdb.Error), as does a file DuckDB cannot read."""
    conn, source = files[0].conn, files[0].source
    file_types = _file_rows_view(conn, relation)
    if any(c.required and c.name not in file_types for c in source.columns):
        conn.execute("DROP VIEW _file_rows")
        return False
    typed = ", ".join(quote_ident(c) for c in source.column_names)
    conn.execute(
        f"INSERT INTO {table} SELECT {typed}, _partition_dt, _source_file, _source_row "
        f"FROM ({validated_sql(source, '_file_rows', file_types)}) "
        "WHERE CASE WHEN _reject_code IS NULL THEN true "
        "ELSE error('a row is rejected: the files are staged instead') END"
    )
    conn.execute("DROP VIEW _file_rows")
    return True


def _file_rows_view(conn: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    """Name `relation` as the temp view `_file_rows`; return its columns' types by name."""
    conn.execute(f"CREATE OR REPLACE TEMP VIEW _file_rows AS {relation}")
    return {
        name: str(data_type)
        for name, data_type, *_ in conn.execute("DESCRIBE _file_rows").fetchall()
    }


def forget_files(files: Sequence[FileContext]) -> None:
    """Undo what a failed read of files staged, before they are read again one by one (or one
    is quarantined as a whole)."""
    relatives = [ctx.relative for ctx in files]
    conn = files[0].conn
    conn.execute("DELETE FROM _staged WHERE _source_file IN (SELECT unnest(?))", [relatives])
    conn.execute("DELETE FROM _rejected WHERE source_file IN (SELECT unnest(?))", [relatives])
    conn.execute("DROP VIEW IF EXISTS _file_rows")
    conn.execute("DROP VIEW IF EXISTS _raw_rows")


def reject_not_utf8(ctx: FileContext, problem: str) -> Staged:
    """A text file that is not UTF-8: each of its lines (the header aside) is one rejected
    record, so the counts say how much was lost; personal-data sources keep no text."""
    try:
        with open_binary(ctx.path) as handle:
            raw = handle.read()
    except (EOFError, zlib.error, OSError):
        raw = b""
    lines = [line for line in guess_text(raw).splitlines() if line.strip()]
    message = f"file is not UTF-8 text: {problem}; re-export it as UTF-8"
    return reject_lines(ctx, lines, message)


# Errors that say the machine failed, not the file: out of memory, the spill cap, a full disk,
# and the database DuckDB invalidates after one of them.
MACHINE_FAILURES = ("No space left on device", "has been invalidated")


def raise_if_the_machine_failed(error: BaseException) -> None:
    """Re-raise an error of the machine rather than of the file being read. Such an error stops
    the load (the partitions keep their previous good state) instead of quarantining every row
    of a good file as unreadable, which is what a file-level fallback would do with it."""
    if (
        isinstance(error, duckdb.OutOfMemoryException)
        or (isinstance(error, OSError) and error.errno == errno.ENOSPC)
        or any(sign in str(error) for sign in MACHINE_FAILURES)
    ):
        raise error


def reject_unreadable_file(ctx: FileContext, error: BaseException) -> Staged:
    """Quarantine a file that cannot be read. A text file's records are rejected line by line
    (so the counts still say how many records were lost); a binary file counts as one record."""
    message = "file cannot be read: " + " ".join(str(error).split())[:500]
    kind = file_kind(ctx.path)
    if kind in (None, "parquet"):
        ctx.reject(None, "file_unreadable", message, None)
        return Staged(1)
    lines: list[str] = []
    try:
        with open_binary(ctx.path) as handle:
            text = io.TextIOWrapper(handle, encoding="utf-8-sig", errors="replace", newline="")
            lines = [line.rstrip("\r\n") for line in text if line.strip()]
    except (OSError, EOFError, zlib.error):
        pass
    return reject_lines(ctx, lines, message)


def reject_lines(ctx: FileContext, lines: list[str], message: str) -> Staged:
    """Reject each record line of a text file as file_unreadable (a CSV file's first line is
    its header, not a record); a file without any is one rejected record."""
    if file_kind(ctx.path) == "csv":
        lines = lines[1:]
    if not lines:
        ctx.reject(None, "file_unreadable", message, None)
        return Staged(1)
    ctx.reject_many(
        [(number, "file_unreadable", message, ctx.unparsed(line))
         for number, line in enumerate(lines, start=1)]
    )  # fmt: skip
    return Staged(len(lines))

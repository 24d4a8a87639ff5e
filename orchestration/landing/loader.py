"""Load export-date partitions of one landing source into the warehouse `raw` schema.

DuckDB reads the files natively; Python only builds SQL from the contract in
`landing/contract.py`. Every row read ends up in exactly one place: `raw.<source>` when it keeps
the contract, `raw.rejected_rows` (file, row, reason, raw record) when it does not. A chunk of
partitions is replaced inside one transaction, so a re-run never duplicates and a crash keeps
each partition's previous good state.

The hot path reads the files of a range of dates with one DuckDB statement per kind of file
(format, compression and columns; CSV with the contract's dialect, never sniffed). When every
file of a chunk reads so and every row is accepted (the usual day), those statements write
straight into raw, inside the chunk's transaction. Otherwise the transaction is rolled back and
the chunk is staged: every row read goes to a temp table with its verdict, the accepted ones
are copied into raw, and a statement that fails is retried with each of its files alone.

Python reads a file record by record only on the cold path: when DuckDB cannot read it as a
whole (a malformed CSV row, a broken JSON line, a byte-order mark, a truncated gzip stream) or
when a JSON Lines file names a contract key in another case. Then the good records go to a
scratch file for DuckDB and each bad one is rejected on its own.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from orchestration.landing.contract import (
    LANDING_FILE_SUFFIXES,
    REPORTING_TIME_ZONE,
    SOURCES,
    Source,
)
from orchestration.landing.discovery import partition_files
from orchestration.landing.files import (
    GLOB_CHARACTERS,
    FileContext,
    Staged,
    reject_not_utf8,
    reject_unreadable_file,
)
from orchestration.landing.formats import (
    HotRead,
    plan_csv,
    plan_json_lines,
    plan_parquet,
    read_hot,
    read_json_lines,
    write_hot,
    write_json_lines_typed,
)
from orchestration.landing.raw_tables import (
    RAW_SCHEMA,
    LoadResult,
    ensure_raw_schema,
    raw_table,
)
from orchestration.landing.text import (
    encoding_problem,
    read_head,
)
from orchestration.landing.validation import file_kind
from orchestration.sql import quote_literal

log = logging.getLogger(__name__)


# Export dates are staged and replaced in chunks of about this many bytes of landing files: a
# range costs a few statements per kind of file, and a chunk's staged rows stay within memory.
CHUNK_BYTES = 256 * 1024 * 1024


@dataclass
class _Partition:
    """What staging found for one export date."""

    files: list[Path]
    rows_read: int = 0
    empty: list[str] = field(default_factory=list)
    truncated: list[str] = field(default_factory=list)


def load_partition(
    conn: duckdb.DuckDBPyConnection, landing_root: Path, source_name: str, dt: date
) -> LoadResult:
    """Replace partition `dt` of one source in the warehouse with the files found for it."""
    return load_partitions(conn, landing_root, source_name, [dt])[0]


def load_partitions(
    conn: duckdb.DuckDBPyConnection,
    landing_root: Path,
    source_name: str,
    dates: Iterable[date],
    on_chunk: Callable[[list[LoadResult]], None] | None = None,
) -> list[LoadResult]:
    """Replace partitions `dates` of one source with the files found for them, in date order.

    The files of a chunk of dates are read with one statement per kind of file (format,
    compression and columns); each chunk is replaced in one transaction, so a crash keeps each
    partition's previous good state. `on_chunk` hears the results so far after each chunk."""
    source = SOURCES[source_name]
    ensure_raw_schema(conn)
    conn.execute(f"SET TimeZone = {quote_literal(REPORTING_TIME_ZONE)}")
    landing_root = landing_root.resolve()
    results: list[LoadResult] = []
    for chunk in _chunks(landing_root, source.name, sorted(set(dates))):
        results += _load_chunk(conn, landing_root, source, chunk)
        if on_chunk is not None:
            on_chunk(results)
    return results


def _chunks(landing_root: Path, source: str, dates: list[date]) -> Iterator[dict[date, list[Path]]]:
    chunk: dict[date, list[Path]] = {}
    size = 0
    for dt in dates:
        chunk[dt] = partition_files(landing_root, source, dt)
        size += sum(path.lstat().st_size for path in chunk[dt])
        if size >= CHUNK_BYTES:
            yield chunk
            chunk, size = {}, 0
    if chunk:
        yield chunk


def _load_chunk(
    conn: duckdb.DuckDBPyConnection,
    landing_root: Path,
    source: Source,
    files_by_date: dict[date, list[Path]],
) -> list[LoadResult]:
    # Every row read, with its verdict (`files.finish_files`); the accepted ones go to raw.
    conn.execute(
        f"CREATE OR REPLACE TEMP TABLE _staged AS SELECT *, NULL::VARCHAR AS _reject_code, "
        f"NULL::VARCHAR AS _reject_reason, NULL::BIGINT AS _read FROM {raw_table(source)} "
        "WHERE false"
    )
    conn.execute(
        f"CREATE OR REPLACE TEMP TABLE _rejected AS SELECT * FROM {RAW_SCHEMA}.rejected_rows "
        "WHERE false"
    )
    found = {dt: _Partition(files) for dt, files in files_by_date.items()}

    def count(ctx: FileContext, staged: Staged) -> None:
        partition = found[ctx.dt]
        partition.rows_read += staged.records
        if staged.empty:
            partition.empty.append(ctx.relative)
            log.warning("%s dt=%s: %s is empty (0 bytes)", source.name, ctx.dt, ctx.relative)
        if staged.truncated:
            partition.truncated.append(ctx.relative)
            log.warning(
                "%s dt=%s: %s is truncated; the records before the break were read",
                *(source.name, ctx.dt, ctx.relative),
            )

    hot: dict[tuple[object, ...], list[HotRead]] = {}
    for dt, files in files_by_date.items():
        for path in files:
            ctx = FileContext(conn, source, path, path.relative_to(landing_root).as_posix(), dt)
            outcome = _stage_file(ctx)
            if isinstance(outcome, HotRead):
                hot.setdefault(outcome.key, []).append(outcome)
            else:
                count(ctx, outcome)
    clean_so_far = not any(partition.rows_read for partition in found.values())
    if hot and clean_so_far and not _rejected_rows_last_time(conn, source):
        written = _write_clean(conn, source, found, hot)
        if written is not None:
            _drop_staging(conn)
            return written
    for key, reads in hot.items():
        stage = read_json_lines if key[0] == "jsonl" else read_hot
        for ctx, staged in stage(reads):
            count(ctx, staged)
    return _replace_partitions(conn, source, found)


def _rejected_rows_last_time(conn: duckdb.DuckDBPyConnection, source: Source) -> bool:
    """Whether the source's last load rejected rows: then this one likely does too, and is
    staged without trying the direct write first (which would cost it a read)."""
    (rejected,) = conn.execute(
        f"SELECT coalesce(bool_or(rows_rejected > 0), false) FROM {RAW_SCHEMA}.load_audit "
        f"WHERE source = ? AND loaded_at = (SELECT max(loaded_at) FROM {RAW_SCHEMA}.load_audit "
        "WHERE source = ?)",
        [source.name, source.name],
    ).fetchone()
    return rejected


class _NotClean(Exception):
    """A chunk `_write_clean` cannot take: its transaction is rolled back."""


def _write_clean(
    conn: duckdb.DuckDBPyConnection,
    source: Source,
    found: dict[date, _Partition],
    hot: dict[tuple[object, ...], list[HotRead]],
) -> list[LoadResult] | None:
    """Write a chunk's files straight into raw, in the transaction that replaces their
    partitions, when all of them read on the hot path and every row is accepted (the usual
    day): rows are written once, with no staging table between. None, with nothing written,
    when any file or row is not so; the chunk is then staged (`_replace_partitions`), and
    pays for its reads twice, or for those up to the first rejected row."""
    table = raw_table(source)
    dates = sorted(found)
    try:
        with _replacing(conn, source, dates):
            for key, reads in hot.items():
                write = write_json_lines_typed if key[0] == "jsonl" else write_hot
                if not write(reads, table):
                    raise _NotClean
            loaded = dict(
                conn.execute(
                    f"SELECT _partition_dt, count(*) FROM {table} WHERE _partition_dt "
                    "BETWEEN ? AND ? AND list_contains(?, _partition_dt) GROUP BY 1",
                    [dates[0], dates[-1], dates],
                ).fetchall()
            )
            for dt, rows in loaded.items():
                found[dt].rows_read += rows  # every row read was accepted
            results = _results(source, found, loaded, {})
            _audit(conn, results)
    except _NotClean:
        return None
    return results


def _replace_partitions(
    conn: duckdb.DuckDBPyConnection, source: Source, found: dict[date, _Partition]
) -> list[LoadResult]:
    """Swap the staged rows (temp tables `_staged`, accepted where they have no reject code,
    and `_rejected`) in for the partitions and audit each load, in one transaction: a crash
    keeps the previous good state."""
    accepted = dict(
        conn.execute(
            "SELECT _partition_dt, count(*) FROM _staged WHERE _reject_code IS NULL GROUP BY 1"
        ).fetchall()
    )
    reasons: dict[date, dict[str, int]] = {}
    for dt, code, rows in conn.execute(
        "SELECT partition_dt, reason_code, count(*) FROM _rejected GROUP BY 1, 2 ORDER BY 1, 2"
    ).fetchall():
        reasons.setdefault(dt, {})[code] = rows
    results = _results(source, found, accepted, reasons)
    with _replacing(conn, source, sorted(found)):
        conn.execute(
            f"INSERT INTO {raw_table(source)} SELECT * EXCLUDE (_reject_code, _reject_reason, "
            "_read) FROM _staged WHERE _reject_code IS NULL"
        )
        conn.execute(f"INSERT INTO {RAW_SCHEMA}.rejected_rows SELECT * FROM _rejected")
        _audit(conn, results)
    _drop_staging(conn)
    return results


def _drop_staging(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("DROP TABLE _staged")
    conn.execute("DROP TABLE _rejected")


def _results(
    source: Source,
    found: dict[date, _Partition],
    accepted: dict[date, int],
    reasons: dict[date, dict[str, int]],
) -> list[LoadResult]:
    """Each partition's load, from its rows accepted and rejected by reason."""
    results = []
    for dt, partition in sorted(found.items()):
        loaded, rejected = accepted.get(dt, 0), sum(reasons.get(dt, {}).values())
        if loaded + rejected != partition.rows_read:  # an internal invariant, never expected
            raise RuntimeError(
                f"{source.name} {dt}: read {partition.rows_read} rows "
                f"but accounted {loaded} + {rejected}"
            )
        results.append(
            LoadResult(
                *(source.name, dt, len(partition.files), partition.rows_read, loaded, rejected),
                reasons.get(dt, {}),
                tuple(partition.empty),
                tuple(partition.truncated),
            )
        )
    return results


@contextmanager
def _replacing(
    conn: duckdb.DuckDBPyConnection, source: Source, dates: list[date]
) -> Iterator[None]:
    """A transaction in which partitions `dates` of `source` are already deleted, for the block
    to write them again: committed when it ends, rolled back when it raises, so a crash keeps
    each partition's previous good state."""
    # A partition never loaded before has nothing to delete: raw rows and their audit row are
    # always written together.
    (loaded_before,) = conn.execute(
        f"SELECT count(*) FROM {RAW_SCHEMA}.load_audit WHERE source = ? "
        "AND partition_dt BETWEEN ? AND ? AND list_contains(?, partition_dt)",
        [source.name, dates[0], dates[-1], dates],
    ).fetchone()
    conn.execute("BEGIN TRANSACTION")
    try:
        if loaded_before:
            _delete_partitions(conn, source, dates)
        yield
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _audit(conn: duckdb.DuckDBPyConnection, results: list[LoadResult]) -> None:
    columns = list(zip(*(_audit_row(result) for result in results), strict=True))
    conn.execute(
        f"INSERT INTO {RAW_SCHEMA}.load_audit (source, partition_dt, files, rows_read, "
        "rows_loaded, rows_rejected, empty_files, truncated_files, loaded_at) "
        "SELECT unnest(?::VARCHAR[]), unnest(?::DATE[]), unnest(?::INTEGER[]), "
        "unnest(?::BIGINT[]), unnest(?::BIGINT[]), unnest(?::BIGINT[]), "
        "unnest(?::INTEGER[]), unnest(?::INTEGER[]), now()",
        [list(column) for column in columns],
    )


def _audit_row(result: LoadResult) -> tuple[object, ...]:
    """A load's row of `raw.load_audit` (but the time it was loaded)."""
    return (
        *(result.source, result.partition_dt, result.files, result.rows_read),
        *(result.rows_loaded, result.rows_rejected),
        *(len(result.empty_files), len(result.truncated_files)),
    )


def _delete_partitions(conn: duckdb.DuckDBPyConnection, source: Source, dates: list[date]) -> None:
    # The range lets DuckDB skip row groups by their min/max; the list picks the dates in it.
    chosen = "BETWEEN ? AND ? AND list_contains(?, {0})"
    params = [dates[0], dates[-1], dates]
    conn.execute(
        f"DELETE FROM {raw_table(source)} WHERE _partition_dt " + chosen.format("_partition_dt"),
        params,
    )
    for table in ("rejected_rows", "load_audit"):
        conn.execute(
            f"DELETE FROM {RAW_SCHEMA}.{table} WHERE source = ? AND partition_dt "
            + chosen.format("partition_dt"),
            [source.name, *params],
        )


def _stage_file(ctx: FileContext) -> Staged | HotRead:
    """Read one file into the temp tables `_staged`/`_rejected`, or say how the hot path reads
    it together with others (`HotRead`)."""
    path = ctx.path
    if path.is_symlink():
        # A link could point anywhere on the machine (path traversal): never follow it.
        ctx.reject(None, "file_is_symlink", "file is a symbolic link; links are not followed", None)
        return Staged(1)
    if GLOB_CHARACTERS.intersection(path.name):
        # DuckDB's readers expand * ? [ ] in paths: such a name could read other files.
        ctx.reject(None, "file_name_unsafe", "file name contains * ? [ or ]; rename the file", None)
        return Staged(1)
    if path.stat().st_size == 0:
        return Staged(0, empty=True)  # reported as a warning, never as a record
    kind = file_kind(path)
    if kind is None:
        message = f"unsupported file type (expected one of {LANDING_FILE_SUFFIXES})"
        return reject_unreadable_file(ctx, ValueError(message))
    if kind == "parquet":
        return plan_parquet(ctx)
    try:
        head, complete = read_head(path)
    except (zlib.error, OSError) as error:  # not a gzip stream at all
        return reject_unreadable_file(ctx, error)
    if not head.strip() and complete:
        return Staged(0, empty=True)  # a compressed file holding nothing, or only blank lines
    problem = encoding_problem(head, complete)
    if problem:
        return reject_not_utf8(ctx, problem)
    if kind == "csv":
        return plan_csv(ctx, head)
    return plan_json_lines(ctx, head)

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

import logging
import zlib
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
    stage_csv,
    stage_json_lines,
    stage_parquet,
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


def load_partition(
    conn: duckdb.DuckDBPyConnection, landing_root: Path, source_name: str, dt: date
) -> LoadResult:
    """Replace partition `dt` of one source in the warehouse with the files found for it."""
    source = SOURCES[source_name]
    ensure_raw_schema(conn)
    conn.execute(f"SET TimeZone = {quote_literal(REPORTING_TIME_ZONE)}")
    landing_root = landing_root.resolve()
    files = partition_files(landing_root, source.name, dt)

    if not files:
        # Nothing to read: the partition is emptied and audited without staging anything (a
        # backfill over dates a source has no export for costs a transaction each, no more).
        return _replace_partition(conn, source, dt, [], 0, 0, 0, {}, [], [], staged=False)
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
        staged = _stage_file(FileContext(conn, source, path, relative, dt))
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
    return _replace_partition(
        conn, source, dt, files, rows_read, accepted, rejected, reasons, empty, truncated
    )


def _replace_partition(
    conn: duckdb.DuckDBPyConnection,
    source: Source,
    dt: date,
    files: list[Path],
    rows_read: int,
    accepted: int,
    rejected: int,
    reasons: dict[str, int],
    empty: list[str],
    truncated: list[str],
    staged: bool = True,
) -> LoadResult:
    """Swap the staged rows (temp tables `_accepted`, `_rejected`) in for partition `dt` and
    audit the load, in one transaction: a crash keeps the previous good state."""
    # A partition never loaded before has nothing to delete: raw rows and their audit row are
    # always written together.
    (loaded_before,) = conn.execute(
        f"SELECT count(*) FROM {RAW_SCHEMA}.load_audit WHERE source = ? AND partition_dt = ?",
        [source.name, dt],
    ).fetchone()
    conn.execute("BEGIN TRANSACTION")
    try:
        if loaded_before:
            _delete_partition(conn, source, dt)
        if staged:
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
    if staged:
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


def _delete_partition(conn: duckdb.DuckDBPyConnection, source: Source, dt: date) -> None:
    params = [source.name, dt]
    conn.execute(f"DELETE FROM {raw_table(source)} WHERE _partition_dt = ?", [dt])
    conn.execute(
        f"DELETE FROM {RAW_SCHEMA}.rejected_rows WHERE source = ? AND partition_dt = ?", params
    )
    conn.execute(
        f"DELETE FROM {RAW_SCHEMA}.load_audit WHERE source = ? AND partition_dt = ?", params
    )


def _stage_file(ctx: FileContext) -> Staged:
    """Read one file into the temp tables `_accepted`/`_rejected`."""
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
        return stage_parquet(ctx)
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
        return stage_csv(ctx, head)
    return stage_json_lines(ctx, head)

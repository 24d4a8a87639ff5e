"""What tests share besides fixtures: running the project's commands, querying DuckDB files, and
writing small landing files. Test modules import from here, never from conftest.py or each other."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import subprocess
import sys
import zlib
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN_DIR = Path(sys.executable).parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

# A small simulated platform over the 616 festival and a month boundary (June → July 2021).
E2E_START = date(2021, 6, 10)
E2E_DAYS = 22
E2E_SEED = 11
E2E_SCALE = 0.08

# One valid row of each source the loader tests write, as text.
VALID_ORDER = {
    "order_id": "007", "buyer_id": "b1", "shop_id": "sh1", "streamer_id": "s1",
    "session_id": "", "product_id": "p1", "category": "美妆", "quantity": "1",
    "item_amount": "110.00", "discount_amount": "10.00", "paid_amount": "100.00",
    "refund_amount": "", "status": "paid", "entry_point": "follow_feed",
    "created_at": "2021-06-15T20:00:00+08:00", "paid_at": "2021-06-15T20:01:00+08:00",
    "updated_at": "2021-06-15T20:01:00+08:00",
}  # fmt: skip
VALID_SESSION = {
    "session_id": "sess1", "streamer_id": "s1", "started_at": "2021-06-15T19:00:00+08:00",
    "ended_at": "2021-06-15T21:00:00+08:00", "viewers": "100", "follower_viewers": "40",
    "watch_seconds": "36000", "peak_concurrent": "30", "interactions": "500",
}  # fmt: skip


def run_command(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """Run a command from the project's virtualenv (lcw, dbt, dagster, python) from the
    repository root and capture its output."""
    return subprocess.run(
        [str(BIN_DIR / args[0]), *args[1:]],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=900,
    )


def lcw(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_command(["lcw", *args], **env)


def requested_ranges(tick) -> list[tuple[str, str]]:
    """The (first, last) export dates of each run a sensor tick requests (one run per range)."""
    from orchestration.defs.partitions import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG

    return [
        (request.tags[PARTITION_RANGE_START_TAG], request.tags[PARTITION_RANGE_END_TAG])
        for request in tick.run_requests
    ]


def query(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def query_by_key(database: Path, sql: str, key_columns: int = 1) -> dict[Any, tuple]:
    """A query's rows keyed by their first value (by the tuple of their first `key_columns`
    values when that is more than one), each to the rest of the row."""
    return {
        (row[0] if key_columns == 1 else row[:key_columns]): row[key_columns:]
        for row in query(database, sql)
    }


def query_dicts(database: Path, sql: str) -> list[dict]:
    with duckdb.connect(str(database), read_only=True) as conn:
        cursor = conn.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def write_csv(
    path: Path, rows: list[dict[str, Any]], encoding: str = "utf-8", gz: bool = False
) -> None:
    """A CSV file (gzip-compressed when `gz`) whose header is the first row's keys."""
    path.parent.mkdir(parents=True, exist_ok=True)
    opener = gzip.open if gz else open
    with opener(path, "wt", newline="", encoding=encoding) as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")


# Complete landing rows with simple defaults, for the oracle's hand-computed tests
# (tests/unit/test_oracle_*.py); each test overrides what it is about.


def order(
    order_id: str, buyer_id: str, paid_at: str | None, amount: str, **extra: Any
) -> dict[str, Any]:
    """A complete order row; created_at/updated_at default to paid_at (or a fixed time)."""
    stamp = paid_at or "2021-06-01T10:00:00+08:00"
    row = {
        "order_id": order_id,
        "buyer_id": buyer_id,
        "shop_id": "shop1",
        "streamer_id": "s1",
        "session_id": "",
        "product_id": "p1",
        "category": "food",
        "quantity": 1,
        "item_amount": amount,
        "discount_amount": "0",
        "paid_amount": amount if paid_at else "0",
        "refund_amount": "",
        "status": "paid" if paid_at else "created",
        "entry_point": "follow_feed",
        "created_at": stamp,
        "paid_at": paid_at or "",
        "updated_at": stamp,
    }
    row.update(extra)
    return row


def jsonl_order(row: dict[str, Any]) -> dict[str, Any]:
    """The JSON form of an order row: nulls instead of empty strings."""
    return {key: (None if value == "" else value) for key, value in row.items()}


def session(
    session_id: str, started_at: str, viewers: int, followers: int, seconds: int, **extra: Any
) -> dict[str, Any]:
    """A complete livestream session row of streamer s1 (ended_at = started_at)."""
    row = {
        "session_id": session_id,
        "streamer_id": "s1",
        "started_at": started_at,
        "ended_at": started_at,
        "viewers": viewers,
        "follower_viewers": followers,
        "watch_seconds": seconds,
        "peak_concurrent": 5,
        "interactions": 7,
    }
    row.update(extra)
    return row


def enforcement_action(
    action_id: str,
    at: str,
    action_type: str,
    reason: str,
    target_type: str,
    target: str,
    **extra: Any,
) -> dict[str, Any]:
    """A complete enforcement action row; the optional columns are null unless given."""
    row = {
        "action_id": action_id,
        "action_at": at,
        "action_type": action_type,
        "reason": reason,
        "target_type": target_type,
        "target_id": target,
        "session_id": None,
        "campaign": None,
        "gang_id": None,
        "case_id": None,
        "reporter_id": None,
        "amount_involved": None,
    }
    row.update(extra)
    return row


# `dbt` commands in one Python process that parses the project once: each command after the parse
# reuses its manifest (dbtRunner), where separate CLI calls would each start Python and parse.
DBT_IN_ONE_PROCESS = """
import json, sys
from dbt.cli.main import dbtRunner
common, commands = json.loads(sys.argv[1]), sys.argv[2:]
parsed = dbtRunner().invoke(["parse", *common])
if not parsed.success:
    sys.exit(f"dbt parse failed: {parsed.exception}")
for command in commands:
    result = dbtRunner(manifest=parsed.result).invoke([*command.split(), *common])
    if not result.success:
        sys.exit(f"dbt {command} failed: {result.exception}")
"""


class Started:
    """A project command started in the background (its output kept in files): `wait()` for it
    where its result is needed."""

    def __init__(self, args: list[str], logs: Path) -> None:
        logs.mkdir(parents=True, exist_ok=True)
        self.out, self.err = logs / "stdout", logs / "stderr"
        with self.out.open("w") as out, self.err.open("w") as err:
            self.process = subprocess.Popen(
                [str(BIN_DIR / args[0]), *args[1:]], cwd=REPO_ROOT, stdout=out, stderr=err
            )

    def wait(self) -> None:
        returncode = self.process.wait(timeout=900)
        assert returncode == 0, self.out.read_text()[-5000:] + self.err.read_text()[-3000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def dbt_in_one_process(commands: tuple[str, ...], *common: str) -> list[str]:
    """The command line that runs `dbt <command> <common>` for each of `commands`, in order, in
    one child process."""
    return ["python", "-c", DBT_IN_ONE_PROCESS, json.dumps(common), *commands]


def run_dbt_in_one_process(commands: tuple[str, ...], *common: str) -> None:
    result = run_command(dbt_in_one_process(commands, *common))
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-3000:]


def sample_build(project: Path, commands: tuple[str, ...] = ("build",)) -> list[str]:
    """The command line of `dbt <command>` on the hand-checkable sample (seeds/sample) into
    `project`, which it prepares: a scratch dir holding copies of dbt_project.yml and
    profiles.yml (so `mf` can run there) and its own target path. The sample warehouse is
    `project`'s sibling warehouse.duckdb (named like the demo's). `dbt build` seeds too."""
    import shutil

    project.mkdir(parents=True, exist_ok=True)
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(DBT_PROJECT_DIR / name, project / name)
    warehouse = project.parent / "warehouse.duckdb"
    return dbt_in_one_process(
        commands,
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(project / "target"),
        "--vars", f"{{sample_data: true, warehouse_path: '{warehouse}'}}",
    )  # fmt: skip


def dashboard_warehouse(sample_warehouse: Path, folder: Path) -> Path:
    """A copy of the sample warehouse plus ingestion's audit tables, as `lcw run` leaves them:
    orders for 2021-06-01 read 3 rows, loaded 2, rejected 1 (paid_at_missing)."""
    import shutil

    from orchestration.landing.raw_tables import ensure_raw_schema

    copy = folder / "warehouse.duckdb"
    shutil.copy2(sample_warehouse, copy)
    with duckdb.connect(str(copy)) as conn:
        ensure_raw_schema(conn)
        conn.execute(
            "insert into raw.load_audit (source, partition_dt, files, rows_read, rows_loaded, "
            "rows_rejected, loaded_at) values "
            "('orders', '2021-06-01', 1, 3, 2, 1, now()), "
            "('follows', '2021-06-01', 1, 2, 2, 0, now())"
        )
        conn.execute(
            "insert into raw.rejected_rows values ('orders', '2021-06-01', "
            "'orders/dt=2021-06-01/a.csv', 3, 'paid_at_missing', 'paid but no paid_at', '{}')"
        )
    return copy


def publish_copy(warehouse: Path) -> Path:
    """The warehouse's marts published beside it, as the pipeline publishes them."""
    from orchestration.warehouse.publish import publish_marts

    path = warehouse.parent / "published" / "live_commerce.duckdb"
    with duckdb.connect(str(warehouse)) as conn:
        publish_marts(conn, path)
    return path


def open_app(published: Path, monkeypatch, page: str = "GMV"):
    """The dashboard run headless by Streamlit's AppTest over `published`, on `page`."""
    from streamlit.testing.v1 import AppTest

    from orchestration.dashboard import APP, PUBLISHED_ENV

    monkeypatch.setenv(PUBLISHED_ENV, str(published))
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    if page != "GMV":
        at.sidebar.radio(key="page").set_value(page).run()
        assert not at.exception, at.exception
    return at


def build_sample_on_spark(project: Path, lake: Path) -> None:
    """`dbt build` of the sample (seeds included) on the Spark target (dbt-spark, local session),
    with its metastore, tables and marts written for publishing under `lake`."""
    run_dbt_in_one_process(
        ("build",),
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target", "spark",
        "--target-path", str(project / "target"),
        "--vars", f"{{sample_data: true, lake_root: '{lake}'}}",
    )  # fmt: skip


def mart_tables(database: Path) -> dict[str, list[tuple[str, str]]]:
    """Each table of the `marts` schema in a DuckDB file, with its (column, type) in order."""
    columns: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in query(
        database,
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'marts' ORDER BY table_name, ordinal_position",
    ):
        columns.setdefault(table, []).append((column, data_type))
    return columns


def mart_comments(database: Path) -> dict[str, tuple[str | None, dict[str, str]]]:
    """Each table of the `marts` schema in a DuckDB file: its comment and its columns' comments."""
    comments: dict[str, tuple[str | None, dict[str, str]]] = {
        table: (comment, {})
        for table, comment in query(
            database,
            "SELECT table_name, comment FROM duckdb_tables() "
            "WHERE database_name = current_database() AND schema_name = 'marts'",
        )
    }
    for table, column, comment in query(
        database,
        "SELECT table_name, column_name, comment FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = 'marts' "
        "AND comment IS NOT NULL",
    ):
        comments[table][1][column] = comment
    return comments


def mart_row_differences(left: Path, right: Path, table: str) -> tuple[int, int]:
    """(rows of `left` missing from `right`, rows of `right` missing from `left`) for one mart,
    as multisets of whole rows (EXCEPT ALL)."""
    with duckdb.connect() as conn:
        conn.execute(f"ATTACH '{left}' AS lhs (READ_ONLY)")
        conn.execute(f"ATTACH '{right}' AS rhs (READ_ONLY)")
        counts = []
        for first, second in (("lhs", "rhs"), ("rhs", "lhs")):
            (count,) = conn.execute(
                f'SELECT count(*) FROM (SELECT * FROM {first}.marts."{table}" '
                f'EXCEPT ALL SELECT * FROM {second}.marts."{table}")'
            ).fetchone()
            counts.append(count)
    return counts[0], counts[1]


# Hostile landing input (tests/unit/test_landing_hostile_*.py): one partition of one export date,
# rows that are valid unless a test says otherwise, and the accounting of each file loaded.

HOSTILE_DT = date(2021, 6, 15)
HOSTILE_PART = f"dt={HOSTILE_DT.isoformat()}"
PHONE = "13800000000"
ADDRESS = "上海市浦东新区张江路100号"
# VALID_ORDER with the personal data that must never leave raw in clear.
PERSONAL_ORDER = {**VALID_ORDER, "receiver_phone": PHONE, "receiver_address": ADDRESS}
VALID_FOLLOW = {
    "event_id": "e1", "follower_id": "b1", "streamer_id": "s1", "event_type": "follow",
    "event_at": "2021-06-15T10:00:00+08:00",
}  # fmt: skip


def partition_dir(landing: Path, source: str) -> Path:
    folder = landing / source / HOSTILE_PART
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def csv_text(rows: list[dict[str, Any]], header: list[str] | None = None) -> str:
    """Rows as CSV text in the contract's dialect; `header` may name the columns differently."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header or list(rows[0]))
    writer.writerows([list(row.values()) for row in rows])
    return out.getvalue()


def jsonl_text(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def personal_orders(n: int, **override: str) -> list[dict[str, str]]:
    """`n` copies of PERSONAL_ORDER with order ids o1..on."""
    return [{**PERSONAL_ORDER, "order_id": f"o{i}", **override} for i in range(1, n + 1)]


def load(conn: duckdb.DuckDBPyConnection, landing: Path, source: str):
    """Load the hostile partition of `source`; read = loaded + rejected, always."""
    from orchestration.landing.loader import load_partition

    result = load_partition(conn, landing, source, HOSTILE_DT)
    assert result.rows_read == result.rows_loaded + result.rows_rejected
    return result


def load_counts(
    conn: duckdb.DuckDBPyConnection, landing: Path, source: str
) -> tuple[int, int, int]:
    """(rows read, rows loaded, rows rejected) of loading the hostile partition of `source`."""
    result = load(conn, landing, source)
    return result.rows_read, result.rows_loaded, result.rows_rejected


def load_csv(
    conn: duckdb.DuckDBPyConnection, landing: Path, source: str, rows: list[dict[str, Any]]
) -> tuple[int, int, int]:
    """`rows` written as a.csv, the one file of the hostile partition of `source`, and loaded:
    (rows read, rows loaded, rows rejected)."""
    (partition_dir(landing, source) / "a.csv").write_text(csv_text(rows))
    return load_counts(conn, landing, source)


def accounting(
    conn: duckdb.DuckDBPyConnection, source: str
) -> dict[str, tuple[int, int, dict[str, int]]]:
    """Per file name: (rows loaded, rows rejected, {reason code: rows})."""
    loaded = dict(
        conn.execute(f"select _source_file, count(*) from raw.{source} group by 1").fetchall()
    )
    reasons: dict[str, dict[str, int]] = {}
    for file, code, count in conn.execute(
        "select source_file, reason_code, count(*) from raw.rejected_rows group by 1, 2"
    ).fetchall():
        reasons.setdefault(file, {})[code] = count
    return {
        file.rsplit("/", 1)[1]: (loaded.get(file, 0), sum(reasons.get(file, {}).values()),
                                 reasons.get(file, {}))
        for file in {*loaded, *reasons}
    }  # fmt: skip


def rejects(conn: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(file name, row, reason code) of every rejected row, in file and row order."""
    return conn.execute(
        "select regexp_extract(source_file, '[^/]+$'), source_row, reason_code "
        "from raw.rejected_rows order by 1, 2"
    ).fetchall()


def truncated_gzip(text: str, keep: float = 0.5) -> tuple[bytes, int]:
    """A gzip stream cut short, and how many complete lines it still yields."""
    data = gzip.compress(text.encode(), mtime=0)
    cut = data[: int(len(data) * keep)]
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    recovered = decompressor.decompress(cut)
    return cut, recovered.count(b"\n")


def orders_loaded_with(landing: Path, database: Path, monkeypatch, **reads) -> dict[str, list]:
    """`warehouse_state` after loading `landing`'s orders into `database` with the JSON Lines
    reads (or the screen) of `orchestration.landing.formats` named in `reads` replaced
    (`read_typed=...`, `screen_json_lines=screen_noting(...)`);
    `**EXACT_READS_ONLY` reads every file the exact way, which a faster read must equal."""
    from orchestration.landing import formats

    with monkeypatch.context() as patch:
        for name, read in reads.items():
            patch.setattr(formats, name, read)
        with duckdb.connect(str(database)) as conn:
            load(conn, landing, "orders")
            return warehouse_state(conn)


EXACT_READS_ONLY = {"read_as_text": lambda read: read, "read_typed": lambda read: read}


def screen_noting(verdicts: dict[str, tuple[object, ...]]):
    """`formats.screen_json_lines` that also notes, by landing file, the key of the read it
    chose for each file the hot path reads (`orders_loaded_with(screen_json_lines=...)`)."""
    from orchestration.landing import formats

    screen = formats.screen_json_lines

    def noting(reads, conn):
        hot, cold = screen(reads, conn)
        verdicts.update((read.ctx.relative, read.key) for read in hot)
        return hot, cold

    return noting


def warehouse_state(conn: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """What ingestion wrote, in a comparable form: raw orders, the quarantine and the audit
    (without load times)."""
    return {
        "raw": conn.execute("SELECT * FROM raw.orders ORDER BY ALL").fetchall(),
        "rejected": conn.execute("SELECT * FROM raw.rejected_rows ORDER BY ALL").fetchall(),
        "audit": conn.execute(
            "SELECT * EXCLUDE (loaded_at) FROM raw.load_audit ORDER BY ALL"
        ).fetchall(),
    }


STATE_SCHEMAS = ["intermediate", "marts"]
# The bookkeeping of incremental runs (what the last window touched), not state to compare: a
# model's own tables, <model>__<what>, and the int_touched_* and int_changed_* models.
BOOKKEEPING_TABLES = (
    "table_name like '%\\_\\_%' escape '\\' "
    "or table_name like 'int\\_touched\\_%' escape '\\' "
    "or table_name like 'int\\_changed\\_%' escape '\\'"
)


def snapshot(warehouse: Path) -> dict[str, list[tuple]]:
    """Every row of every model table in the intermediate and marts schemas, but bookkeeping."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        tables = conn.execute(
            "select schema_name || '.' || table_name from duckdb_tables() "
            f"where schema_name in ({', '.join(repr(s) for s in STATE_SCHEMAS)}) "
            f"and not ({BOOKKEEPING_TABLES}) order by 1"
        ).fetchall()
        return {t: conn.execute(f"select * from {t} order by all").fetchall() for (t,) in tables}


def assert_same_as(warehouse: Path, reference: Path) -> None:
    """`warehouse` holds the same model tables and rows as `reference` (a full refresh)."""
    actual, expected = snapshot(warehouse), snapshot(reference)
    assert sorted(actual) == sorted(expected)
    for table, rows in expected.items():
        only_here = sorted(set(actual[table]) - set(rows), key=str)[:3]
        only_there = sorted(set(rows) - set(actual[table]), key=str)[:3]
        assert actual[table] == rows, (
            f"{table} differs from a full refresh: only here {only_here}, only there {only_there}"
        )

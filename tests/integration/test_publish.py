"""The published copy as BI clients meet it: readable by DuckDB 1.x, self-describing, and safe
from a BI session that opens it read-write (orchestration/warehouse/publish.py)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from helpers import query

from orchestration.warehouse.publish import (
    INCREMENTAL_PATCHES,
    publish_marts,
    publish_marts_patching,
    wal_path,
)

OLD_CLIENT = "duckdb==1.2.2"  # the oldest DuckDB the copy promises to open in

# Prints the client version and {table: rows read} for every table in `marts` (pytz: the 1.x
# Python client needs it to return timestamps with time zone).
READ_EVERY_MART = """
import json, sys, duckdb
conn = duckdb.connect(sys.argv[1], read_only=True)
out = {"version": duckdb.__version__, "tables": {}}
tables = conn.execute(
    "select table_name, comment from duckdb_tables() where schema_name = 'marts'").fetchall()
for table, comment in tables:
    rows = conn.execute(f'select * from marts."{table}"').fetchall()
    out["tables"][table] = len(rows)
print(json.dumps(out))
"""


def read_with_old_client(published: Path) -> dict:
    """Every mart read in full by a DuckDB 1.x client in its own environment (uv fetches it from
    PyPI on first use and caches it)."""
    uv = shutil.which("uv")
    assert uv, "uv is needed to run a DuckDB 1.x client in its own environment"
    completed = subprocess.run(
        [uv, "run", "--isolated", "--no-project", "--with", OLD_CLIENT, "--with", "pytz",
         "python", "-c", READ_EVERY_MART, str(published)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout)


def mart_counts(database: Path) -> dict[str, int]:
    return {
        table: query(database, f'select count(*) from marts."{table}"')[0][0]
        for (table,) in query(
            database, "select table_name from duckdb_tables() where schema_name = 'marts'"
        )
    }


def test_a_duckdb_1x_client_reads_every_mart(
    published_sample: Path, sample_warehouse: Path
) -> None:
    result = read_with_old_client(published_sample)
    assert result["version"].startswith("1.")
    expected = mart_counts(sample_warehouse)
    assert {"dim_streamers", "dim_shops", "gmv_daily", "fct_orders"} <= set(expected)
    assert result["tables"] == expected
    # The copy is not empty: the sample has 9 counted orders.
    assert result["tables"]["fct_orders"] == 9


def test_every_mart_and_column_carries_its_dbt_description(
    published_sample: Path, sample_project: Path
) -> None:
    manifest = json.loads((sample_project / "target" / "manifest.json").read_text())
    models = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] == "marts"
    }
    tables = dict(query(published_sample, "select table_name, comment from duckdb_tables()"))
    assert sorted(tables) == sorted(models)
    missing = []
    for name, node in models.items():
        if tables[name] != node["description"]:
            missing.append(name)
        columns = dict(
            query(
                published_sample,
                f"select column_name, comment from duckdb_columns() where table_name = '{name}'",
            )
        )
        for column, comment in columns.items():
            described = node["columns"].get(column, {}).get("description")
            if not described or comment != described:
                missing.append(f"{name}.{column}")
    assert missing == []


@pytest.fixture
def world_readable_dir() -> Iterator[Path]:
    """A directory another user can reach (pytest's tmp_path is private to its owner)."""
    directory = Path(tempfile.mkdtemp(prefix="lcw_publish_"))
    directory.chmod(0o755)
    yield directory
    shutil.rmtree(directory)


def rewrite_gmv(warehouse: Path, gmv: str) -> None:
    """Stand in for a new build: every day of gmv_daily gets the same GMV."""
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute(f"update marts.gmv_daily set gmv = {gmv}")


def publish(warehouse: Path, published: Path) -> None:
    with duckdb.connect(str(warehouse)) as conn:
        publish_marts(conn, published)


def test_the_copy_is_read_only_on_disk(published_sample: Path, world_readable_dir: Path) -> None:
    """Mode 0444: a BI user (any user but root, the file's owner included) cannot open it
    read-write, only read-only."""
    assert stat.S_IMODE(published_sample.stat().st_mode) == 0o444
    published = world_readable_dir / "live_commerce.duckdb"
    shutil.copy2(published_sample, published)
    if os.geteuid() != 0:
        pytest.skip("needs root to open the file as another user")
    probe = (
        "import duckdb, sys\n"
        "try:\n    duckdb.connect(sys.argv[1])\nexcept duckdb.IOException as e:\n"
        "    print('refused:', e)\n"
        "print(duckdb.connect(sys.argv[1], read_only=True).execute("
        "'select count(*) from marts.fct_orders').fetchone()[0])\n"
    )
    as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable]
    if subprocess.run([*as_nobody, "-c", "import duckdb"], capture_output=True).returncode:
        pytest.skip("this machine's Python cannot run as user nobody")
    completed = subprocess.run(
        [*as_nobody, "-c", probe, str(published)], capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    assert "refused:" in completed.stdout and "Permission denied" in completed.stdout
    assert completed.stdout.strip().endswith("9")


def test_a_read_write_session_never_breaks_the_next_build_for_readers(
    sample_warehouse: Path, tmp_path: Path
) -> None:
    """The trap: a BI session (as root, whom the file mode does not stop) opens the copy
    read-write, writes, and dies before checkpointing, leaving `<file>.wal`. Without the fix,
    DuckDB replays that WAL into the next build when readers open it."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy2(sample_warehouse, warehouse)
    published = tmp_path / "published" / "live_commerce.duckdb"
    publish(warehouse, published)

    published.chmod(0o644)  # what root, or a user who chmods the file, can do anyway
    writer = (
        "import duckdb, os, sys\n"
        "conn = duckdb.connect(sys.argv[1])\n"
        "conn.execute('create table marts.scratch as select 42 as answer')\n"
        "conn.execute('update marts.gmv_daily set gmv = 0')\n"
        "os._exit(0)  # dies without closing: no checkpoint\n"
    )
    completed = subprocess.run([sys.executable, "-c", writer, str(published)], timeout=120)
    assert completed.returncode == 0
    assert wal_path(published).exists(), "the BI session should have left its WAL"

    rewrite_gmv(warehouse, "7.00")
    publish(warehouse, published)

    assert not wal_path(published).exists()
    for reader in ("new", "old"):
        if reader == "new":
            tables = set(mart_counts(published))
            gmvs = {row[0] for row in query(published, "select gmv from marts.gmv_daily")}
        else:
            tables = set(read_with_old_client(published)["tables"])
            gmvs = None
        assert "scratch" not in tables, reader
        assert tables == set(mart_counts(warehouse)), reader
        if gmvs is not None:
            assert {str(g) for g in gmvs} == {"7.00"}


def test_a_long_lived_reader_keeps_its_build_and_sees_the_next_one_on_reconnect(
    sample_warehouse: Path, tmp_path: Path
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy2(sample_warehouse, warehouse)
    published = tmp_path / "live_commerce.duckdb"
    rewrite_gmv(warehouse, "1.00")
    publish(warehouse, published)

    reader = duckdb.connect(str(published), read_only=True)
    total = "select sum(gmv)::varchar from marts.gmv_daily"
    days = reader.execute("select count(*) from marts.gmv_daily").fetchone()[0]
    assert reader.execute(total).fetchone()[0] == f"{days * 1:.2f}"

    rewrite_gmv(warehouse, "2.00")
    publish(warehouse, published)

    # The open connection still reads the build it opened, undisturbed (the old file lives on
    # until it closes) ...
    assert reader.execute(total).fetchone()[0] == f"{days * 1:.2f}"
    reader.close()
    # ... and reconnecting reads the new build.
    with duckdb.connect(str(published), read_only=True) as fresh:
        assert fresh.execute(total).fetchone()[0] == f"{days * 2:.2f}"


def test_patched_marts_equal_the_warehouse_and_open_in_duckdb_1x(
    sample_warehouse: Path, tmp_path: Path
) -> None:
    """After an incremental build, the publish patches the rows the build rewrote into a copy of
    the previous file: in fct_orders one buyer's orders change and one buyer's only order goes;
    in fct_livestream_sessions one session changes and one goes."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy2(sample_warehouse, warehouse)
    published = tmp_path / "live_commerce.duckdb"
    publish(warehouse, published)
    with duckdb.connect(str(warehouse)) as conn:
        [(changed,), (dropped,)] = conn.execute(
            "select distinct buyer_id from marts.fct_orders order by buyer_id limit 2"
        ).fetchall()
        conn.execute("update marts.fct_orders set gmv = 1.23 where buyer_id = ?", [changed])
        conn.execute("delete from marts.fct_orders where buyer_id = ?", [dropped])
        conn.execute("create schema if not exists intermediate")
        conn.execute(
            "create or replace table intermediate.int_touched_buyers as "
            "select unnest([?, ?]) as buyer_id",
            [changed, dropped],
        )
        conn.execute(  # what fct_orders' post-hook keeps: the touched buyers' rows now
            "create or replace table intermediate.fct_orders__after as select * "
            "from marts.fct_orders where buyer_id in (?, ?)",
            [changed, dropped],
        )
        [(session,), (gone,)] = conn.execute(
            "select session_id from marts.fct_livestream_sessions order by session_id limit 2"
        ).fetchall()
        conn.execute(
            "update marts.fct_livestream_sessions set viewers = viewers + 7 where session_id = ?",
            [session],
        )
        conn.execute("delete from marts.fct_livestream_sessions where session_id = ?", [gone])
        conn.execute(
            "create or replace table intermediate.int_changed_sessions as "
            "select unnest([?, ?]) as session_id",
            [session, gone],
        )
        _, patched = publish_marts_patching(conn, published, INCREMENTAL_PATCHES)
    assert patched == ["fct_livestream_sessions", "fct_orders"]
    for table, key in (("fct_orders", "order_id"), ("fct_livestream_sessions", "session_id")):
        rows = f"select * from marts.{table} order by {key}"
        assert query(published, rows) == query(warehouse, rows)
    assert read_with_old_client(published)["tables"] == mart_counts(warehouse)
    comment = "select comment from duckdb_tables() where table_name = 'fct_orders'"
    assert query(published, comment)[0][0]

"""Crash safety: kill -9 in the middle of a partition load keeps the previous good state."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date

import duckdb
from helpers import REPO_ROOT, VALID_ORDER, write_csv

FIRST = date(2021, 6, 1)


def order_of(dt: date) -> dict[str, str]:
    """VALID_ORDER placed on `dt`: a record is exported on or after the day of its events."""
    return {k: v.replace("2021-06-15", dt.isoformat()) for k, v in VALID_ORDER.items()}


def write_orders(landing, dt: date, count: int) -> None:
    rows = [{**order_of(dt), "order_id": f"{dt}-{i}"} for i in range(count)]
    write_csv(landing / "orders" / f"dt={dt.isoformat()}" / "orders.csv", rows)


LOAD_SCRIPT = """
import sys, duckdb
from datetime import date
from pathlib import Path
from orchestration.landing.loader import load_partition
with duckdb.connect(sys.argv[1]) as conn:
    print("loading", flush=True)
    load_partition(conn, Path(sys.argv[2]), "orders", date.fromisoformat(sys.argv[3]))
print("done", flush=True)
"""


def test_kill_9_mid_load_keeps_the_previous_good_state(tmp_path) -> None:
    landing, warehouse = tmp_path / "landing", tmp_path / "w.duckdb"
    write_orders(landing, FIRST, count=3)
    command = [sys.executable, "-c", LOAD_SCRIPT, str(warehouse), str(landing), FIRST.isoformat()]
    subprocess.run(command, check=True, cwd=REPO_ROOT, capture_output=True)

    # A much larger re-export of the same partition, killed while it loads.
    big = landing / "orders" / f"dt={FIRST.isoformat()}" / "orders.csv"
    columns = ", ".join(f"'{v}' AS {k}" for k, v in order_of(FIRST).items() if k != "order_id")
    with duckdb.connect() as scratch:
        scratch.execute(
            f"COPY (SELECT 'big-' || i AS order_id, {columns} FROM range(1500000) t(i)) "
            f"TO '{big}' (HEADER)"
        )
    process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "loading"
    time.sleep(1.5)
    assert process.poll() is None, "the load finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()

    with duckdb.connect(str(warehouse), read_only=True) as conn:
        assert conn.execute("select count(*) from raw.orders").fetchone()[0] == 3
        assert conn.execute("select rows_loaded from raw.load_audit").fetchall() == [(3,)]
    # The next run completes it.
    subprocess.run(command, check=True, cwd=REPO_ROOT, capture_output=True)
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        assert conn.execute("select count(*) from raw.orders").fetchone()[0] == 1_500_000

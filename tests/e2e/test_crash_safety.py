"""Crash safety: kill -9 in the middle of a partition load keeps the previous good state, and
kill -9 of a whole `lcw run` does not hold up the next one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date

import duckdb
from dagster import DagsterInstance, DagsterRunStatus
from helpers import BIN_DIR, REPO_ROOT, VALID_ORDER, write_csv

from orchestration.defs.dbt.assets import DBT_ASSETS_NAME
from orchestration.settings import WAREHOUSE_POOL

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


def warehouse_pool_claims(instance: DagsterInstance) -> set[tuple[str, str]]:
    """(run id, step key) of each step holding the warehouse pool."""
    info = instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL)
    return {(claim.run_id, claim.step_key) for claim in info.claimed_slots}


def test_a_run_killed_mid_way_does_not_hold_up_the_next(tmp_path) -> None:
    """A step holds the warehouse pool slot (one writer at a time) until it ends. Killed with
    its process, it held it for good, and every later `lcw run` waited for it without a word."""
    landing, warehouse = tmp_path / "landing", tmp_path / "w.duckdb"
    for day in range(3):
        write_orders(landing, date(2021, 6, 1 + day), count=2)
    command = [str(BIN_DIR / "lcw"), "run", "--landing", str(landing)]
    command += ["--warehouse", str(warehouse)]
    instance = DagsterInstance.get()  # the tests' instance (conftest), which lcw uses too

    killed = subprocess.Popen(
        command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 300
    while not any(step == DBT_ASSETS_NAME for _, step in warehouse_pool_claims(instance)):
        assert killed.poll() is None, "the run finished before its dbt step could be caught"
        assert time.monotonic() < deadline, "the run's dbt step never took the pool"
        time.sleep(0.1)
    os.killpg(killed.pid, signal.SIGKILL)  # lcw and its dbt, as when the machine stops
    killed.wait()
    try:
        ((held_by, _),) = warehouse_pool_claims(instance)  # the dead run still holds the pool

        rerun = subprocess.run(
            command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False
        )
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        assert f"Released run {held_by[:8]}: the lcw process that ran it (PID {killed.pid})" in (
            rerun.stdout
        )
        assert warehouse_pool_claims(instance) == set()
        assert instance.get_run_by_id(held_by).status == DagsterRunStatus.FAILURE
    finally:  # a stale claim would hold up every later run of this test session
        for run_id, _ in warehouse_pool_claims(instance):
            instance.event_log_storage.free_concurrency_slots_for_run(run_id)

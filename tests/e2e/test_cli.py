"""The `lcw` command line: clear one-line errors and a non-zero exit on bad use."""

from __future__ import annotations

import fcntl
import subprocess
import sys
import time
from pathlib import Path

from helpers import BIN_DIR, VALID_ORDER, lcw, write_csv


def test_run_without_landing_data_fails_with_one_line(tmp_path: Path) -> None:
    result = lcw("run", "--landing", str(tmp_path / "missing"), "--warehouse", str(tmp_path / "w"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"lcw run: error: landing directory {tmp_path / 'missing'} does not exist"
    ]


def test_run_with_an_empty_range_fails_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "landing" / "orders" / "dt=2021-06-01").mkdir(parents=True)
    result = lcw(
        "run", "--landing", str(tmp_path / "landing"), "--warehouse", str(tmp_path / "w.duckdb"),
        "--from", "2021-07-01",
    )  # fmt: skip
    assert result.returncode == 1
    assert "no export-date partitions" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_date_is_a_usage_error(tmp_path: Path) -> None:
    result = lcw("simulate", "--landing", str(tmp_path), "--start", "2021-13-01", "--days", "1")
    assert result.returncode == 2
    assert "not a date" in result.stderr


def test_simulate_writes_the_landing_layout(tmp_path: Path) -> None:
    result = lcw("simulate", "--landing", str(tmp_path), "--start", "2021-06-01", "--days", "1")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "orders" / "dt=2021-06-01").is_dir()


def tiny_landing(root: Path, *dates: str, bad: int = 0) -> Path:
    """Orders for each export date (one valid order each; `bad` invalid ones on the first)."""
    for index, dt in enumerate(dates):
        day = {k: v.replace("2021-06-15", dt) for k, v in VALID_ORDER.items()}
        rows = [{**day, "order_id": f"o{index}"}]
        if index == 0:
            rows += [{**day, "order_id": f"bad{i}", "status": "?"} for i in range(bad)]
        write_csv(root / "orders" / f"dt={dt}" / "orders.csv", rows)
    return root


def test_a_warehouse_held_by_another_process_is_named_at_once(tmp_path: Path) -> None:
    landing = tiny_landing(tmp_path / "landing", "2021-06-15")
    warehouse = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_WAREHOUSE, str(warehouse)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        began = time.monotonic()
        result = lcw("run", "--landing", str(landing), "--warehouse", str(warehouse))
        assert time.monotonic() - began < 60
    finally:
        holder.kill()
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"lcw run: error: w.duckdb is locked by PID {holder.pid} (")
    assert line.endswith("); close it or point BI tools at the published copy")


HOLD_WAREHOUSE = """
import sys, time, duckdb
conn = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(120)
"""


def test_a_file_that_is_not_duckdb_is_named(tmp_path: Path) -> None:
    landing = tiny_landing(tmp_path / "landing", "2021-06-15")
    warehouse = tmp_path / "notes.duckdb"
    warehouse.write_text("not a database " * 100)
    result = lcw("run", "--landing", str(landing), "--warehouse", str(warehouse))
    assert result.returncode == 1
    assert "notes.duckdb" in result.stderr and "not a valid DuckDB database file" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_bad_setting_is_refused_before_any_work(tmp_path: Path) -> None:
    landing = tiny_landing(tmp_path / "landing", "2021-06-15")
    warehouse = tmp_path / "w.duckdb"
    result = lcw(
        "run", "--landing", str(landing), "--warehouse", str(warehouse),
        LCW_DUCKDB_MEMORY_LIMIT="lots",
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "lcw run: error: LCW_DUCKDB_MEMORY_LIMIT='lots' is not a size DuckDB understands; "
        "use e.g. '8GB' or '512MB'"
    )
    assert not warehouse.exists()


def test_a_second_run_against_the_same_warehouse_refuses(tmp_path: Path) -> None:
    landing = tiny_landing(tmp_path / "landing", "2021-06-15")
    warehouse = tmp_path / "w.duckdb"
    with open(tmp_path / "w.duckdb.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        lock.write("PID 4242")
        lock.flush()
        result = lcw("run", "--landing", str(landing), "--warehouse", str(warehouse))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "lcw run: error: another lcw run (PID 4242) is writing w.duckdb; wait for it to finish, "
        "then run again"
    )


def test_lcw_by_absolute_path_without_the_virtualenv_on_path(tmp_path: Path) -> None:
    """As cron calls it: dbt is found beside lcw's own interpreter."""
    completed = subprocess.run(
        [str(BIN_DIR / "lcw"), "prepare"],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]


def test_every_run_option_has_help() -> None:
    result = lcw("run", "--help")
    for option in ("--landing", "--warehouse", "--from", "--to"):
        line = next(line for line in result.stdout.splitlines() if line.strip().startswith(option))
        assert len(line.split()) > 2 or option in ("--landing", "--warehouse"), line
    assert "LCW_WAREHOUSE" in result.stdout and "LCW_LANDING" in result.stdout
    assert "LCW_ENGINE" in result.stdout and "LCW_LAKE" in result.stdout

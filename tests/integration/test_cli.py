"""The `lcw` command line: clear one-line errors and a non-zero exit on bad use."""

from __future__ import annotations

from pathlib import Path

from helpers import lcw


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

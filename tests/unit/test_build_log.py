"""The window of a build: the run's export dates, widened to every date loaded since the last
successful build (orchestration/warehouse/build_log.py), on a real DuckDB file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from orchestration.landing.raw_tables import ensure_raw_schema
from orchestration.warehouse.build_log import build_started_at, build_window, record_build

RUN = (date(2021, 6, 20), date(2021, 6, 20))


def load(conn: duckdb.DuckDBPyConnection, *dates: date) -> None:
    for dt in dates:
        conn.execute(
            "INSERT INTO raw.load_audit (source, partition_dt, files, rows_read, rows_loaded, "
            "rows_rejected, loaded_at) VALUES ('orders', ?, 1, 1, 1, 0, now())",
            [dt],
        )


def test_the_window_covers_loads_since_the_last_successful_build(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        ensure_raw_schema(conn)
        load(conn, date(2021, 6, 1), date(2021, 6, 2))
        # No build recorded (a new warehouse, or one built before the record): every date.
        assert build_window(conn, RUN) is None
        assert build_window(conn, None) is None
        conn.execute("BEGIN")  # a new transaction: a later now()
        started = build_started_at(conn)
        conn.execute("COMMIT")
        record_build(conn, started, (date(2021, 6, 1), date(2021, 6, 2)), full_refresh=False)
        # Everything loaded is built: the run's own dates.
        assert build_window(conn, RUN) == RUN
        # A date loaded whose build then failed (nothing recorded), before and after the run's.
        load(conn, date(2021, 6, 15), date(2021, 6, 25))
        assert build_window(conn, RUN) == (date(2021, 6, 15), date(2021, 6, 25))
        # A later build over them succeeds: they are built.
        conn.execute("BEGIN")
        started = build_started_at(conn)
        conn.execute("COMMIT")
        record_build(conn, started, (date(2021, 6, 15), date(2021, 6, 25)), full_refresh=False)
        assert build_window(conn, RUN) == RUN

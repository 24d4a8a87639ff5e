"""Read-only queries a run reports from: load counts from the warehouse, headline figures from
the published copy."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from orchestration.landing.contract import SOURCES


def load_counts(
    warehouse_path: Path, first_dt: date, last_dt: date
) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """Rows read, loaded and rejected per source over a range (from the load-audit table), and
    the rejected rows per `source: reason_code`."""
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        reasons = conn.execute(
            """
            SELECT source || ': ' || reason_code, count(*) FROM raw.rejected_rows
            WHERE partition_dt BETWEEN ? AND ? GROUP BY 1 ORDER BY 2 DESC, 1
            """,
            [first_dt, last_dt],
        ).fetchall()
        rows = conn.execute(
            """
            SELECT source, sum(rows_read), sum(rows_loaded), sum(rows_rejected)
            FROM raw.load_audit WHERE partition_dt BETWEEN ? AND ? GROUP BY source
            """,
            [first_dt, last_dt],
        ).fetchall()
    counts = {source: {"read": 0, "loaded": 0, "rejected": 0} for source in SOURCES}
    for source, read, loaded, rejected in rows:
        counts[source] = {"read": int(read), "loaded": int(loaded), "rejected": int(rejected)}
    return counts, dict(reasons)


def headline_figures(published_path: Path) -> dict[str, object] | None:
    """The one row of marts.headline_figures in the published copy by column name, with the days
    the repeat-purchase year covers (None when the mart is empty)."""
    with duckdb.connect(str(published_path), read_only=True) as conn:
        cursor = conn.execute("SELECT * FROM marts.headline_figures")
        names = [d[0] for d in cursor.description]
        row = cursor.fetchone()
        if row is None:
            return None
        figures = dict(zip(names, row, strict=True))
        # How much of the repeat-purchase year the data covers (a year of May-July is partial).
        covered = conn.execute(
            "SELECT covered_days, period_days FROM marts.period_coverage "
            "WHERE period_grain = 'year' AND period_start = ?",
            [figures["repeat_purchase_year_start"]],
        ).fetchone()
    figures["repeat_purchase_covered_days"], figures["repeat_purchase_period_days"] = covered
    return figures

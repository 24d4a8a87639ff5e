"""The fixed cost of an export date: the same orders as daily partitions and as a few big ones.

    uv run python benchmarks/partitions.py                  # 546 export dates, ~70,000 orders
    uv run python benchmarks/partitions.py --smoke          # seconds: the test suite's run

The landing zone has the shape of the real retail data of the issue that asked for this: orders
only (the other five sources have no files), one partition per export date. The calibrated
simulator writes it (`lcw simulate`, kept in --scratch and reused when it matches); the other
sources' files are left out. The same order rows are then regrouped into as few partitions as
the landing contract allows (a timestamp lies at most 366 days before its export date): each
group of up to 366 consecutive export dates becomes one partition dated its last day, its rows
in their original order. Two runs of `lcw run` over each landing's whole range, into new
warehouses, each in its own process:

1. daily: every export date its own partition;
2. grouped: the same rows in ceil(days / 366) partitions (one for up to 366 days).

It checks that both published the same marts, row for row (but `load_quality_daily`, which
counts rows per export date), and prints the ratio. Wall-clock
figures on a shared machine are noisy: compare the ratio from one run.
"""

from __future__ import annotations

import argparse
import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
from scale import ensure_landing, lcw, measured, size_parser, sized

from orchestration.settings import Settings
from orchestration.simulation.calibrated import MANIFEST_NAME

# A mart about the loads themselves (rows per export date) differs between the two by design.
ABOUT_THE_LOADS = {"marts.load_quality_daily"}

# The landing contract's business-time window (LANDING.md): a partition holds at most this many
# days of events before its export date.
WINDOW_DAYS = 366


def write_daily(simulated: Path, daily: Path) -> None:
    """The simulated orders alone, one partition per export date, as simulated."""
    shutil.rmtree(daily, ignore_errors=True)
    daily.mkdir(parents=True)
    shutil.copytree(simulated / "orders", daily / "orders")


def write_grouped(daily: Path, grouped: Path, start: date, days: int) -> list[date]:
    """The same order rows in groups of up to WINDOW_DAYS export dates, each one partition dated
    its group's last day; returns those dates."""
    shutil.rmtree(grouped, ignore_errors=True)
    dates = []
    with duckdb.connect() as conn:
        conn.execute("SET enable_progress_bar = false")
        for first in range(0, days, WINDOW_DAYS):
            last = min(first + WINDOW_DAYS, days) - 1
            files = [
                str(path)
                for offset in range(first, last + 1)
                for path in sorted(
                    (daily / "orders" / f"dt={start + timedelta(days=offset)}").glob("*.parquet")
                )
            ]
            export_date = start + timedelta(days=last)
            folder = grouped / "orders" / f"dt={export_date.isoformat()}"
            folder.mkdir(parents=True)
            # The files in date order, each file's rows in their order: later versions stay later.
            conn.execute(
                f"COPY (SELECT * FROM read_parquet({files})) "
                f"TO '{folder / 'part-0.parquet'}' (FORMAT parquet)"
            )
            dates.append(export_date)
    return dates


def differing_rows(left: Path, right: Path) -> dict[str, int]:
    """Rows in one published mart and not the other (both ways), for each mart that differs."""
    differ = {}
    with duckdb.connect() as conn:
        conn.execute("SET enable_progress_bar = false")
        conn.execute(f"ATTACH '{left}' AS l (READ_ONLY)")
        conn.execute(f"ATTACH '{right}' AS r (READ_ONLY)")
        tables = conn.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'l' "
            "ORDER BY ALL"
        ).fetchall()
        for schema, table in tables:
            name = f"{schema}.{table}"
            if name in ABOUT_THE_LOADS:
                continue
            (rows,) = conn.execute(
                f"SELECT (SELECT count(*) FROM (FROM l.{name} EXCEPT ALL FROM r.{name})) "
                f"+ (SELECT count(*) FROM (FROM r.{name} EXCEPT ALL FROM l.{name}))"
            ).fetchone()
            if rows:
                differ[name] = rows
    return differ


def run(args: argparse.Namespace) -> dict[str, object]:
    scratch = args.scratch.resolve()
    scratch.mkdir(parents=True, exist_ok=True)
    log = scratch / "partitions.log"
    log.write_text("")
    simulated = scratch / "simulated"
    ensure_landing(simulated, args.start, args.days, args.orders, log)
    manifest = json.loads((simulated / MANIFEST_NAME).read_text())
    daily, grouped = scratch / "daily", scratch / "grouped"
    write_daily(simulated, daily)
    group_dates = write_grouped(daily, grouped, args.start, args.days)
    last = args.start + timedelta(days=args.days - 1)
    steps, published = {}, {}
    for name, landing, first in (
        ("daily", daily, args.start),
        ("grouped", grouped, group_dates[0]),
    ):
        warehouse = scratch / f"warehouse-{name}" / "warehouse.duckdb"
        shutil.rmtree(warehouse.parent, ignore_errors=True)
        partitions = args.days if name == "daily" else len(group_dates)
        steps[name] = measured(
            f"lcw run, {partitions} partitions ({first} .. {last})",
            lcw(
                "run",
                "--landing",
                str(landing),
                "--warehouse",
                str(warehouse),
                "--from",
                first.isoformat(),
                "--to",
                last.isoformat(),
            ),  # fmt: skip
            log,
        )
        published[name] = Settings(warehouse_path=warehouse).published_path
    differ = differing_rows(published["daily"], published["grouped"])
    figures = {
        "orders": manifest["totals"]["counted_orders"],
        "export_dates": args.days,
        "grouped_partitions": len(group_dates),
        "steps": {name: vars(step) for name, step in steps.items()},
        "daily_over_grouped": steps["daily"].seconds / steps["grouped"].seconds,
        "differing_marts": differ,
    }
    print(
        f"{args.days} daily partitions / {len(group_dates)} grouped: "
        f"{figures['daily_over_grouped']:.2f}x"
    )
    print("published marts: " + (f"DIFFER {differ}" if differ else "equal, row for row"))
    (scratch / "partitions_figures.json").write_text(json.dumps(figures, indent=2))
    if differ:
        raise SystemExit("the two landings published different marts: the runs did not compare")
    return figures


def main() -> None:
    folders = ("partitions-smoke", "partitions_{orders}_days_{days}")
    run(sized(size_parser(__doc__, 70_000, 546).parse_args(), (1_000, 5), folders))


if __name__ == "__main__":
    main()

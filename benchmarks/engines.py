"""DuckDB against local Spark: the same landing zone through `lcw run` on each engine.

    uv run --group spark python benchmarks/engines.py --orders 1000000 --days 366
    uv run --group spark python benchmarks/engines.py --orders 20000 --days 30   # minutes
    uv run --group spark python benchmarks/engines.py --orders 1000000 --days 366 --engines spark

For one calibrated landing zone it runs the full pipeline on each engine, each in its own
process: `lcw run` (duckdb) and `lcw run --engine spark` (dbt on a local[2] Spark session), each
into its own warehouse file. It prints a side-by-side table: the wall time of each run, split
into its two dbt invocations (the incremental models after ingestion, then the other models and
every test; from each run's log) and the rest (ingestion, parsing the dbt project for the new
warehouse, publishing, start-up), the peak memory,
the spark / duckdb ratio of each, and whether the two published copies are equal mart for mart
(EXCEPT ALL both ways). Figures from one run on a shared machine: compare the ratios.

Scratch: `<scratch>/<orders>_orders_<days>_days/`. The landing zone there is reused when its
simulation manifest says it was made with the same --orders, --days and --start (an interrupted
or different one is simulated again). `--engines` reruns only the engines named; the other's
figures and published copy are taken from the previous run in the same folder
(engine_figures.json), so a failed or interrupted Spark run at 1 M orders does not cost the
DuckDB run again. `--spark-driver-memory` sets LCW_SPARK_DRIVER_MEMORY for the Spark run (the
profile's default is 2g; a Spark run that fails with an OutOfMemoryError needs more).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
from datetime import date
from pathlib import Path

import duckdb
from scale import REPO_ROOT, Step, ensure_landing, lcw, measured

from orchestration.settings import Settings

ENGINES = ("duckdb", "spark")
# dbt's summary line at the end of each invocation, in the run log `lcw run` writes.
DBT_FINISHED = re.compile(r"^Finished running .* \((\d+(?:\.\d+)?)s\)\.", re.MULTILINE)


def published_differences(left: Path, right: Path) -> dict[str, tuple[int, int]]:
    """Per mart of `left`: (rows only in left, rows only in right), whole rows as multisets."""
    differences = {}
    with duckdb.connect() as conn:
        conn.execute(f"ATTACH '{left}' AS lhs (READ_ONLY)")
        conn.execute(f"ATTACH '{right}' AS rhs (READ_ONLY)")
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_catalog = 'lhs' AND table_schema = 'marts' ORDER BY 1"
            ).fetchall()
        ]
        for table in tables:
            counts = []
            for first, second in (("lhs", "rhs"), ("rhs", "lhs")):
                query = (
                    f'SELECT count(*) FROM (SELECT * FROM {first}.marts."{table}" '
                    f'EXCEPT ALL SELECT * FROM {second}.marts."{table}")'
                )
                try:
                    counts.append(conn.execute(query).fetchone()[0])
                except duckdb.Error:  # a mart missing or with other columns on one side
                    counts.append(-1)
            differences[table] = (counts[0], counts[1])
    return differences


def run_phases(run_log: Path, total_seconds: float) -> dict[str, float]:
    """A run's wall time split by its log: the two dbt invocations `lcw run` makes (ingestion's
    incremental models, then the rest and the tests) and everything else."""
    text = run_log.read_text(encoding="utf-8", errors="replace") if run_log.exists() else ""
    dbt = [float(seconds) for seconds in DBT_FINISHED.findall(text)]
    if len(dbt) != 2:  # not the log of one complete `lcw run`
        return {"total": total_seconds}
    return {
        "total": total_seconds,
        "dbt_incremental": dbt[0],
        "dbt_build": dbt[1],
        "other": total_seconds - sum(dbt),
    }


PHASE_ROWS = (
    ("`lcw run`, wall time", "total"),
    ("dbt: incremental models, after ingestion", "dbt_incremental"),
    ("dbt: the other models and every test", "dbt_build"),
    ("ingestion, dbt parse, publishing, start-up", "other"),
)


def side_by_side(figures: dict) -> str:
    """The markdown table: one row per measure, a column per engine, and their ratio."""
    runs = figures["runs"]
    title = f"{figures['orders']:,} orders, {figures['days']} export dates"
    lines = [f"| {title} | duckdb | spark | spark / duckdb |", "|---|---|---|---|"]

    def cells(values: list[float | None], unit: str) -> str:
        shown = [f"{v:,.1f} {unit}" if v is not None else "–" for v in values]
        ratio = f"{values[1] / values[0]:.1f}×" if None not in values and values[0] else "–"
        return " | ".join([*shown, ratio])

    for label, key in PHASE_ROWS:
        values = [runs.get(engine, {}).get("phases", {}).get(key) for engine in ENGINES]
        lines.append(f"| {label} | {cells(values, 's')} |")
    memory = [runs.get(engine, {}).get("peak_rss_mb") for engine in ENGINES]
    lines.append(f"| peak RSS of the `lcw` process tree ¹ | {cells(memory, 'MB')} |")
    compared = figures.get("marts_compared")
    if compared is None:
        outcome = "not compared (one engine's copy is missing)"
    elif figures["unequal_marts"]:
        outcome = f"**{len(figures['unequal_marts'])} of {compared} marts differ**"
    else:
        outcome = f"{compared} of {compared} marts equal, row for row"
    lines.append(f"| the published copies | {outcome} | | |")
    lines.append(
        "\n¹ The Spark JVM that py4j starts is not a waited-for child, so it is not counted."
    )
    return "\n".join(lines)


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000, help="counted orders in all")
    parser.add_argument("--days", type=int, default=30, help="export dates")
    parser.add_argument("--start", type=date.fromisoformat, default=date(2020, 6, 1))
    parser.add_argument("--scratch", type=Path, default=REPO_ROOT / "data" / "bench_engines")
    parser.add_argument(
        "--engines",
        nargs="+",
        choices=ENGINES,
        default=list(ENGINES),
        help="the engines to run now (default both); the other's figures come from the "
        "previous run in the same scratch folder",
    )
    parser.add_argument(
        "--spark-driver-memory",
        help="LCW_SPARK_DRIVER_MEMORY for the spark run, e.g. 8g (default: the environment's, "
        "else the profile's 2g)",
    )
    args = parser.parse_args(argv)
    if args.orders < 1 or args.days < 1:
        parser.error("--orders and --days must be at least 1")
    args.scratch = args.scratch.resolve()
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    work = args.scratch / f"{args.orders}_orders_{args.days}_days"
    landing = work / "landing"
    log = work / "engines.log"
    figures_path = work / "engine_figures.json"
    work.mkdir(parents=True, exist_ok=True)
    previous = json.loads(figures_path.read_text()) if figures_path.exists() else {}
    if previous.get("start") != args.start.isoformat():
        previous = {}
    figures: dict = {
        "orders": args.orders,
        "days": args.days,
        "start": args.start.isoformat(),
        "runs": {},
    }
    simulated = ensure_landing(landing, args.start, args.days, args.orders, log)
    if simulated is not None:  # a new landing zone: no earlier run's figures apply
        previous = {}
        figures["simulate"] = vars(simulated)
    if args.spark_driver_memory:
        os.environ["LCW_SPARK_DRIVER_MEMORY"] = args.spark_driver_memory
    warehouses = {engine: work / engine / "warehouse.duckdb" for engine in ENGINES}
    for engine in ENGINES:
        if engine not in args.engines:
            kept = previous.get("runs", {}).get(engine)
            if kept and Settings(warehouse_path=warehouses[engine]).published_path.exists():
                print(f"{engine}: figures of the previous run in {work}")
                figures["runs"][engine] = kept
            continue
        shutil.rmtree(warehouses[engine].parent, ignore_errors=True)
        warehouses[engine].parent.mkdir(parents=True)
        step: Step = measured(
            f"lcw run --engine {engine}",
            lcw("run", "--engine", engine, "--landing", str(landing),
                "--warehouse", str(warehouses[engine])),
            log,
        )  # fmt: skip
        figures["runs"][engine] = {
            "peak_rss_mb": step.peak_rss_mb,
            "phases": run_phases(Settings(warehouse_path=warehouses[engine]).run_log_path,
                                 step.seconds),
        }  # fmt: skip
        figures_path.write_text(json.dumps(figures, indent=2))  # kept if the next run fails
    figures["marts_compared"], figures["unequal_marts"] = None, {}
    published = [Settings(warehouse_path=warehouses[e]).published_path for e in ENGINES]
    if len(figures["runs"]) == len(ENGINES) and all(path.exists() for path in published):
        differences = published_differences(*published)
        figures["marts_compared"] = len(differences)
        figures["unequal_marts"] = {m: d for m, d in differences.items() if d != (0, 0)}
    figures_path.write_text(json.dumps(figures, indent=2))
    print()
    print(side_by_side(figures))
    if figures["unequal_marts"]:
        print(
            f"\nunequal marts (rows only in duckdb's, only in spark's): {figures['unequal_marts']}"
        )
    return 1 if figures["unequal_marts"] else 0


if __name__ == "__main__":
    sys.exit(main())

"""DuckDB against local Spark: the same landing zone through `lcw run` on each engine.

    uv run --group spark python benchmarks/engines.py --orders 1000000 --days 366
    uv run --group spark python benchmarks/engines.py --orders 20000 --days 30   # minutes

For one calibrated landing zone (kept in --scratch and reused when it matches) it runs the full
pipeline twice, each in its own process: `lcw run` (duckdb) and `lcw run --engine spark` (dbt on
a local[2] Spark session), each into its own warehouse file. It prints the wall time and peak
memory of each, their ratio, and whether the two published copies are equal mart for mart
(EXCEPT ALL both ways). Figures from one run on a shared machine: compare the ratio.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from datetime import date
from pathlib import Path

import duckdb
from scale import BIN_DIR, Step, measured

from orchestration.settings import Settings


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2020, 6, 1))
    parser.add_argument("--scratch", type=Path, default=Path("data/bench_engines"))
    args = parser.parse_args()

    work = args.scratch / f"{args.orders}_orders_{args.days}_days"
    landing = work / "landing"
    log = work / "engines.log"
    work.mkdir(parents=True, exist_ok=True)
    steps: dict[str, Step] = {}
    if not landing.is_dir():
        steps["simulate"] = measured(
            "simulate",
            [str(BIN_DIR / "lcw"), "simulate", "--landing", str(landing),
             "--start", args.start.isoformat(), "--days", str(args.days),
             "--orders", str(args.orders)],
            log,
        )  # fmt: skip
    warehouses = {}
    for engine in ("duckdb", "spark"):
        folder = work / engine
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        warehouses[engine] = folder / "warehouse.duckdb"
        steps[engine] = measured(
            engine,
            [str(BIN_DIR / "lcw"), "run", "--engine", engine, "--landing", str(landing),
             "--warehouse", str(warehouses[engine])],
            log,
        )  # fmt: skip
    differences = published_differences(
        Settings(warehouse_path=warehouses["duckdb"]).published_path,
        Settings(warehouse_path=warehouses["spark"]).published_path,
    )
    unequal = {mart: d for mart, d in differences.items() if d != (0, 0)}
    ratio = steps["spark"].seconds / steps["duckdb"].seconds
    print(f"\n| {args.orders:,} orders, {args.days} export dates | wall time | peak RSS |")
    print("|---|---|---|")
    for name in ("duckdb", "spark"):
        step = steps[name]
        print(f"| `lcw run --engine {name}` | {step.seconds:.1f} s | {step.peak_rss_mb:,.0f} MB |")
    print(f"| **spark / duckdb** | **{ratio:.1f}×** | |")
    print(f"\nmarts compared: {len(differences)}, unequal: {unequal or 'none'}")
    figures = {
        "orders": args.orders,
        "days": args.days,
        "steps": {name: vars(step) for name, step in steps.items()},
        "unequal_marts": unequal,
    }
    (work / "engine_figures.json").write_text(json.dumps(figures, indent=2))
    return 0 if not unequal else 1


if __name__ == "__main__":
    sys.exit(main())

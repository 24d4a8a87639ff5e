"""Fixed overheads and the daily-versus-full ratio of the pipeline, measured with the real CLIs.

    uv run python benchmarks/overheads.py                 # demo scale: needs `lcw demo` data
    uv run python benchmarks/overheads.py --smoke         # seconds: overheads only, one repeat

Prints one line per figure; docs/benchmarks.md keeps the results with the command that made
them. Wall-clock figures on a shared 2-core machine are noisy: compare ratios from one run.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN_DIR = Path(sys.executable).parent


def timed(command: list[str], repeats: int) -> float:
    """Median wall-clock seconds of a command run from the repository root."""
    seconds = []
    for _ in range(repeats):
        began = time.perf_counter()
        subprocess.run(command, cwd=REPO_ROOT, check=True, capture_output=True)
        seconds.append(time.perf_counter() - began)
    return statistics.median(seconds)


def measure_overheads(repeats: int) -> dict[str, float]:
    python = str(BIN_DIR / "python")
    dbt = [str(BIN_DIR / "dbt"), "--quiet"]
    project = ["--project-dir", "dbt_project", "--profiles-dir", "dbt_project"]
    return {
        "python + dagster import (s)": timed([python, "-c", "import dagster"], repeats),
        "code location load (s)": timed(
            [python, "-c", "import orchestration.definitions"], repeats
        ),
        "dbt start-up, `dbt ls` (s)": timed([*dbt, "ls", *project, "-s", "fct_orders"], repeats),
        "dbt parse, partial (s)": timed([*dbt, "parse", *project], repeats),
    }


def lcw_run(landing: Path, warehouse: Path, *window: str) -> float:
    lcw = str(BIN_DIR / "lcw")
    args = [lcw, "run", "--landing", str(landing), "--warehouse", str(warehouse), *window]
    return timed(args, repeats=1)


def measure_daily_versus_full(landing: Path) -> dict[str, float]:
    """A full build of the landing zone into a new file, then a daily run of its last date."""
    dates = sorted(p.name.removeprefix("dt=") for p in (landing / "orders").glob("dt=*"))
    with tempfile.TemporaryDirectory(prefix="lcw-bench-") as scratch:
        warehouse = Path(scratch) / "warehouse.duckdb"
        full = lcw_run(landing, warehouse)
        daily = lcw_run(landing, warehouse, "--from", dates[-1], "--to", dates[-1])
        log = warehouse.with_suffix(".run.log").read_text()
    return {
        "export dates in the landing zone": float(len(dates)),
        "full build, lcw run (s)": full,
        "daily run, lcw run --from D --to D (s)": daily,
        "daily / full": daily / full,
        "dbt invocations in a daily run": float(log.count("Running with dbt=")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="overheads only, one repeat")
    parser.add_argument("--landing", type=Path, default=REPO_ROOT / "data" / "landing")
    args = parser.parse_args()
    figures = measure_overheads(repeats=1 if args.smoke else 3)
    if not args.smoke:
        if not (args.landing / "orders").is_dir():
            sys.exit(f"no landing data in {args.landing}: run `uv run lcw demo` first")
        figures.update(measure_daily_versus_full(args.landing))
    width = max(len(name) for name in figures)
    for name, value in figures.items():
        print(f"{name:<{width}}  {value:10.2f}")
    if shutil.which("nproc"):
        print(f"{'cores':<{width}}  {subprocess.check_output(['nproc'], text=True).strip():>10}")


if __name__ == "__main__":
    main()

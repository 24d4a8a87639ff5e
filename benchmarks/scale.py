"""The pipeline at platform scale, side by side with its plain-DuckDB lower bound.

    uv run python benchmarks/scale.py --orders 1000000             # 1 M orders over 366 days
    uv run python benchmarks/scale.py --orders 10000000
    LCW_DUCKDB_MAX_SPILL=12GB uv run python benchmarks/scale.py --orders 100000000 --no-lower-bound
    uv run python benchmarks/scale.py --smoke                      # seconds: the test suite's run

For one calibrated landing zone (`lcw simulate`, kept in --scratch and reused when it matches),
it measures, each step in its own process (wall time, peak resident memory of that process tree;
for the pipeline's runs also the peak size of DuckDB's spill folder):

1. generation of the landing zone;
2. the lower bound: benchmarks/lower_bound.py, the same marts in one plain DuckDB script;
3. the full build: `lcw run` of every export date but the last into a new warehouse file;
4. the daily run on top of it: the last export date alone (`lcw run --from D --to D`), as the
   nightly schedule would run it; run at two --days sizes with the same orders per day, it
   shows whether the daily cost grows with the day's data or with the history (with
   `--daily-repeats 3`, the median of three runs, each on a copy of the full build);
5. the same daily run again, over landing files that did not change (it should do nothing);
6. the planted-truth checks on the published marts.

It prints one line per figure and a markdown table for docs/benchmarks.md. Wall-clock figures on
a shared machine are noisy: compare ratios from the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

from orchestration.settings import Settings
from orchestration.simulation.calibrated import MANIFEST_NAME
from orchestration.simulation.planted_truth import recovery_checks

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN_DIR = Path(sys.executable).parent


@dataclass(frozen=True)
class Step:
    name: str
    seconds: float
    peak_rss_mb: float
    peak_spill_mb: float | None = None  # None: not watched


class FolderPeak:
    """The largest size a folder reached while a step ran, sampled every second in a thread
    (DuckDB's spill files come and go within a statement; none of them outlives the run)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder, self.peak_bytes = folder, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(1.0):
            self.peak_bytes = max(self.peak_bytes, folder_bytes(self.folder))

    def __enter__(self) -> FolderPeak:
        if self.folder is not None:
            self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


def folder_bytes(folder: Path) -> int:
    """The disk space a folder's files take: allocated blocks, not their apparent size (DuckDB's
    spill files are sparse; their sizes added up to 40 GB on a disk that had 37 GB free)."""
    total = 0
    for path in folder.rglob("*") if folder.is_dir() else ():
        try:
            total += path.stat().st_blocks * 512
        except FileNotFoundError:  # a spill file removed between listing and stat
            pass
    return total


def measured(name: str, command: list[str], log: Path, spill: Path | None = None) -> Step:
    """Run a command to completion; its wall time, the peak RSS of its process tree and, with
    `spill`, the peak size of DuckDB's spill folder."""
    began = time.perf_counter()
    with open(log, "a", encoding="utf-8") as out, FolderPeak(spill) as spilled:
        out.write(f"\n$ {' '.join(command)}\n")
        out.flush()
        process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - began
    process.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in KiB on Linux
    peak_spill_mb = spilled.peak_bytes / 2**20 if spill else None
    step = Step(name, seconds, usage.ru_maxrss / 1024, peak_spill_mb)
    print(
        f"{name:<44}{step.seconds:>10.1f} s{step.peak_rss_mb:>10.0f} MB peak RSS"
        + (f"{step.peak_spill_mb:>10.0f} MB peak spill" if spill else ""),
        flush=True,
    )
    if process.returncode != 0:
        raise SystemExit(f"{name} failed (exit {process.returncode}); see {log}")
    return step


def rows_in(folder: Path) -> int:
    """Rows of the Parquet files under a landing folder (the simulator's default format)."""
    with duckdb.connect() as conn:
        return conn.execute(
            f"select count(*) from read_parquet('{folder}/**/*.parquet')"
        ).fetchone()[0]


def lcw(*args: str) -> list[str]:
    return [str(BIN_DIR / "lcw"), *args]


def ensure_landing(landing: Path, start: date, days: int, orders: int, log: Path) -> Step | None:
    """Simulate the landing zone unless the one in place was made with the same parameters."""
    manifest = landing / MANIFEST_NAME
    if manifest.is_file():
        planted = json.loads(manifest.read_text())
        if (planted["start"], planted["days"], planted["orders_requested"]) == (
            start.isoformat(), days, orders,
        ):  # fmt: skip
            print(f"reusing the landing zone in {landing}")
            return None
        shutil.rmtree(landing)
    return measured(
        "simulate (lcw simulate)",
        lcw(
            "simulate",
            "--landing",
            str(landing),
            "--start",
            start.isoformat(),
            "--days",
            str(days),
            "--orders",
            str(orders),
        ),  # fmt: skip
        log,
    )


def run(args: argparse.Namespace) -> dict[str, object]:
    scratch = args.scratch.resolve()
    scratch.mkdir(parents=True, exist_ok=True)
    landing = scratch / "landing"
    log = scratch / "scale.log"
    log.write_text("")
    last = args.start + timedelta(days=args.days - 1)
    steps: dict[str, Step] = {}

    generated = ensure_landing(landing, args.start, args.days, args.orders, log)
    if generated:
        steps["simulate"] = generated
    manifest = json.loads((landing / MANIFEST_NAME).read_text())

    lower_db = scratch / "lower_bound.duckdb"
    lower_db.unlink(missing_ok=True)
    if args.lower_bound:
        steps["lower_bound"] = measured(
            "lower bound (plain DuckDB SQL)",
            [
                str(BIN_DIR / "python"),
                "benchmarks/lower_bound.py",
                "--landing",
                str(landing),
                "--database",
                str(lower_db),
            ],  # fmt: skip
            log,
        )
    # The full build takes every export date but the last; the daily run then adds the last
    # one, as the nightly schedule would. Two history sizes come from two --orders runs.
    warehouse = scratch / "warehouse" / "warehouse.duckdb"
    shutil.rmtree(warehouse.parent, ignore_errors=True)
    window = ["--landing", str(landing), "--warehouse", str(warehouse)]
    spill = Settings.from_env(warehouse_path=warehouse).spill_directory  # as `lcw run` sees it
    steps["full"] = measured(
        f"full build (lcw run, {args.days - 1} export dates)",
        lcw("run", *window, "--to", (last - timedelta(days=1)).isoformat()),
        log,
        spill,
    )
    daily = daily_runs(args.daily_repeats, last, window, warehouse.parent, log, spill)
    steps["daily"] = sorted(daily, key=lambda step: step.seconds)[len(daily) // 2]
    steps["rerun"] = measured(
        "the same daily run again (nothing changed)",
        lcw("run", *window, "--from", last.isoformat(), "--to", last.isoformat()),
        log,
        spill,
    )
    day_rows = rows_in(landing / "orders" / f"dt={last.isoformat()}")
    history_rows = rows_in(landing / "orders")

    checks = recovery_checks(
        landing / MANIFEST_NAME, Settings(warehouse_path=warehouse).published_path
    )
    failed = [c.line() for c in checks if not c.ok]
    figures = {
        "orders": manifest["totals"]["counted_orders"],
        "orders_including_cancelled": manifest["totals"]["orders_including_cancelled"],
        "export_dates": args.days,
        "landing_mb": sum(p.stat().st_size for p in landing.rglob("*") if p.is_file()) / 2**20,
        "steps": {k: vars(v) for k, v in steps.items()},
        "order_versions": history_rows,
        "order_versions_last_day": day_rows,
        "warehouse_mb": folder_bytes(warehouse.parent) / 2**20,
        "full_over_lower_bound": (
            steps["full"].seconds / steps["lower_bound"].seconds if args.lower_bound else None
        ),
        "daily_over_full": steps["daily"].seconds / steps["full"].seconds,
        "daily_seconds": [step.seconds for step in daily],
        "planted_truth_checks": len(checks),
        "planted_truth_failed": failed,
    }
    if args.lower_bound:
        print(f"full build / lower bound: {figures['full_over_lower_bound']:.1f}x")
    print(f"daily run / full build: {figures['daily_over_full']:.3f} (the day holds "
          f"{day_rows / history_rows:.4f} of the order versions)")  # fmt: skip
    print(f"planted truth: {len(checks) - len(failed)} of {len(checks)} checks recovered")
    for line in failed:
        print(f"  {line}")
    print(markdown(figures, args))
    (scratch / "scale_figures.json").write_text(json.dumps(figures, indent=2))
    return figures


def daily_runs(
    repeats: int, day: date, window: list[str], warehouse_folder: Path, log: Path, spill: Path
) -> list[Step]:
    """The daily run of `day` on top of the full build, `repeats` times, each on a copy of the
    warehouse folder as the full build left it (the last run's result stays): the median of a
    few runs moves less with the machine's load than one run does."""
    saved = warehouse_folder.with_name(f"{warehouse_folder.name}_after_full_build")
    shutil.rmtree(saved, ignore_errors=True)
    if repeats > 1:
        shutil.copytree(warehouse_folder, saved)
    steps = []
    for repeat in range(1, repeats + 1):
        if repeat > 1:
            shutil.rmtree(warehouse_folder)
            shutil.copytree(saved, warehouse_folder)
        steps.append(
            measured(
                f"daily run on top ({day})" + (f", {repeat} of {repeats}" if repeats > 1 else ""),
                lcw("run", *window, "--from", day.isoformat(), "--to", day.isoformat()),
                log,
                spill,
            )
        )
    shutil.rmtree(saved, ignore_errors=True)
    if repeats > 1:
        seconds = ", ".join(f"{step.seconds:.1f}" for step in steps)
        print(f"daily run: median of {repeats} runs ({seconds} s)")
    return steps


def markdown(figures: dict, args: argparse.Namespace) -> str:
    steps = figures["steps"]
    labels = {
        "simulate": "generate the landing zone: `lcw simulate`",
        "lower_bound": "lower bound: the dbt models as one DuckDB script",
        "full": "full build: `lcw run`, all export dates but the last",
        "daily": "daily run on top: `lcw run --from D --to D`, the last date"
        + (f" (median of {args.daily_repeats} runs)" if args.daily_repeats > 1 else ""),
        "rerun": "the same daily run again, nothing changed",
    }
    rows = [(label, steps[key]) for key, label in labels.items() if key in steps]
    ratio = figures["full_over_lower_bound"]
    lines = [
        f"`uv run python benchmarks/scale.py --orders {args.orders} --days {args.days}`: "
        f"{figures['orders']:,} counted orders ({figures['orders_including_cancelled']:,} with "
        f"cancelled ones), {args.days} export dates, {figures['landing_mb']:,.0f} MB of landing "
        "files.",
        "",
        "| step | wall time (s) | peak RSS (MB) | peak spill (MB) |",
        "|---|---|---|---|",
        *(
            f"| {name} | {s['seconds']:.1f} | {s['peak_rss_mb']:.0f} | {spill_mb(s)} |"
            for name, s in rows
        ),
        "",
        f"- warehouse folder at the end: {figures['warehouse_mb']:,.0f} MB",
        f"- full build / lower bound: **{ratio:.1f}×**" if ratio else "- lower bound not run",
        f"- daily run / full build: **{figures['daily_over_full']:.3f}**; the day holds "
        f"{figures['order_versions_last_day']:,} of {figures['order_versions']:,} order versions "
        f"({figures['order_versions_last_day'] / figures['order_versions']:.4f})",
        f"- planted truth: {figures['planted_truth_checks'] - len(figures['planted_truth_failed'])}"
        f" of {figures['planted_truth_checks']} checks recovered",
    ]
    return "\n".join(lines)


def spill_mb(step: dict) -> str:
    return "–" if step["peak_spill_mb"] is None else f"{step['peak_spill_mb']:.0f}"


def size_parser(description: str, orders: int, days: int) -> argparse.ArgumentParser:
    """The arguments of a benchmark over one calibrated landing zone: its size, first date and
    scratch folder; `sized` turns them into the folder of that size."""
    parser = argparse.ArgumentParser(description=description.split("\n")[0])
    parser.add_argument("--orders", type=int, default=orders)
    parser.add_argument("--days", type=int, default=days)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2020, 1, 1))
    parser.add_argument("--scratch", type=Path, default=REPO_ROOT / "data" / "benchmarks")
    parser.add_argument("--smoke", action="store_true", help="a tiny run, for the test suite")
    return parser


def sized(
    args: argparse.Namespace, smoke: tuple[int, int], folders: tuple[str, str]
) -> argparse.Namespace:
    """`folders`: the tiny run's scratch folder, and the others' formatted with their size."""
    if args.smoke:
        args.orders, args.days = smoke
        args.scratch = args.scratch / folders[0]
    else:
        args.scratch = args.scratch / folders[1].format(orders=args.orders, days=args.days)
    return args


def main() -> None:
    parser = size_parser(__doc__, 1_000_000, 366)
    parser.add_argument(
        "--no-lower-bound",
        dest="lower_bound",
        action="store_false",
        help="skip the plain-SQL lower bound (at 100 M orders its database needs about 30 GB)",
    )
    parser.add_argument(
        "--daily-repeats",
        type=int,
        default=1,
        help="run the daily run this many times, each on a copy of the full build, and report "
        "the median (the flat-in-history pairs use 3; every copy costs the warehouse's size)",
    )
    folders = ("smoke", "orders_{orders}_days_{days}")
    run(sized(parser.parse_args(), (2_000, 4), folders))


if __name__ == "__main__":
    main()

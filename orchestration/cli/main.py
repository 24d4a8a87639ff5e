"""`lcw`: the live-commerce warehouse command line. Thin by design: it parses arguments into one
`Settings` value and calls the simulator or the same Dagster definitions the UI loads."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from datetime import date
from pathlib import Path

from orchestration.landing.contract import LANDING_FILE_SUFFIXES
from orchestration.settings import ENGINES, REPO_ROOT, Settings, SettingsError

DEMO_LANDING = REPO_ROOT / "data" / "landing"
DEMO_WAREHOUSE = REPO_ROOT / "data" / "warehouse.duckdb"
DEMO_START = date(2020, 5, 1)
DEMO_DAYS = 92  # May to July 2020, across the 616 festival
DEMO_ORDERS = 100_000
DEFAULT_ORDERS_PER_DAY = 1_000


class UsageError(Exception):
    """Arguments that cannot work; the message names the argument."""


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message} ...", flush=True)


class ProgressHandler(logging.Handler):
    """Prints the pipeline's progress records (logger `lcw.progress`) as progress lines, on the
    terminal's stdout even while a job's own output is redirected to the run log."""

    def __init__(self) -> None:
        super().__init__()
        self.stream = sys.stdout

    def emit(self, record: logging.LogRecord) -> None:
        line = f"[{time.strftime('%H:%M:%S')}]   {record.getMessage()}"
        print(line, file=self.stream, flush=True)


def show_progress() -> None:
    log = logging.getLogger("lcw.progress")
    log.setLevel(logging.INFO)
    log.propagate = False
    if not any(isinstance(handler, ProgressHandler) for handler in log.handlers):
        log.addHandler(ProgressHandler())


def cmd_simulate(args: argparse.Namespace) -> None:
    if args.days < 1:
        raise UsageError("--days must be at least 1")
    if args.orders is not None and args.orders < 1:
        raise UsageError("--orders must be at least 1")
    # The simulators are imported here only: the runtime path never loads them.
    if args.edge_cases:
        from orchestration.simulation.edge_cases import simulate

        progress(f"Simulating the edge-case platform, {args.days} days from {args.start}")
        summary = simulate(args.landing, args.start, args.days, seed=args.seed)
    else:
        from orchestration.simulation.calibrated import MANIFEST_NAME, simulate_platform

        orders = args.orders or DEFAULT_ORDERS_PER_DAY * args.days
        progress(
            f"Simulating the calibrated platform, {args.days} days from {args.start}, about "
            f"{orders:,} orders, into {args.landing} (seed {args.seed}, {args.file_format})"
        )
        summary = simulate_platform(
            args.landing, args.start, args.days, orders, seed=args.seed,
            file_format=args.file_format, progress=lambda message: print(f"  {message}"),
        )  # fmt: skip
        print(f"Planted parameters: {args.landing / MANIFEST_NAME}")
    rows = ", ".join(f"{source} {count:,}" for source, count in summary.rows_written.items())
    print(f"Wrote {summary.files_written:,} files: {rows}")


def cmd_run(
    settings: Settings, start: date | None, end: date | None, full_refresh: bool = False
) -> None:
    from orchestration.cli.report import run_report
    from orchestration.cli.runner import run_pipeline

    summary = run_pipeline(settings, start, end, progress=progress, full_refresh=full_refresh)
    print()
    print(run_report(summary, str(settings.warehouse_path), str(settings.published_path)))


def cmd_demo() -> None:
    from orchestration.cli.report import headline_table
    from orchestration.landing.discovery import landing_export_dates
    from orchestration.warehouse.queries import headline_figures

    settings = Settings.from_env(landing_root=DEMO_LANDING, warehouse_path=DEMO_WAREHOUSE)
    if landing_export_dates(DEMO_LANDING):
        progress(f"Using the landing data already in {DEMO_LANDING}")
    else:
        demo = argparse.Namespace(
            landing=DEMO_LANDING, start=DEMO_START, days=DEMO_DAYS, seed=7, orders=DEMO_ORDERS,
            file_format="parquet", edge_cases=False,
        )  # fmt: skip
        cmd_simulate(demo)
    cmd_run(settings, None, None)
    figures = headline_figures(settings.published_path)
    if figures is None:
        raise UsageError("marts.headline_figures is empty: no counted orders were loaded")
    print()
    print(headline_table(figures))
    print(f"\nBI tools read the published marts (read-only): {settings.published_path}")
    print("The Dagster UI shows these runs: uv run dagster dev (from the repository root).")


def cmd_prepare(settings: Settings) -> None:
    from orchestration.defs.dbt.project import prepare_dbt_manifest

    prepare_dbt_manifest(settings, force=True)
    print("dbt manifest prepared")


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from error


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lcw", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    simulate = commands.add_parser("simulate", help="write a simulated platform into a landing dir")
    simulate.add_argument("--landing", type=Path, required=True, help="landing root to write")
    simulate.add_argument("--start", type=parse_date, required=True, help="first export date")
    simulate.add_argument("--days", type=int, required=True, help="number of export dates")
    simulate.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    simulate.add_argument(
        "--orders",
        type=int,
        help=f"counted orders in all (default {DEFAULT_ORDERS_PER_DAY:,} a day)",
    )
    simulate.add_argument(
        "--format",
        dest="file_format",
        choices=[s.removeprefix(".") for s in LANDING_FILE_SUFFIXES],
        default="parquet",
        help="landing file format (default parquet)",
    )
    simulate.add_argument(
        "--edge-cases",
        action="store_true",
        help="the small uncalibrated platform with every edge case of the landing contract "
        "(mixed formats, naive timestamps, distribution), as the end-to-end tests use",
    )

    run = commands.add_parser("run", help="ingest a landing dir and build every model and test")
    run.add_argument(
        "--landing", type=Path, help="landing root (default: LCW_LANDING, else data/landing)"
    )
    run.add_argument(
        "--warehouse",
        type=Path,
        help="warehouse DuckDB file (default: LCW_WAREHOUSE, else data/warehouse.duckdb)",
    )
    run.add_argument(
        "--engine",
        choices=ENGINES,
        help="engine that builds the dbt models (default: LCW_ENGINE, else duckdb); spark needs "
        "`uv sync --group spark` and Java 17",
    )
    run.add_argument(
        "--lake",
        type=Path,
        help="the spark engine's lake root: raw Parquet, tables, metastore (default: LCW_LAKE, "
        "else lake/ beside the warehouse)",
    )
    run.add_argument(
        "--from", dest="start", type=parse_date, help="first export date to load (YYYY-MM-DD)"
    )
    run.add_argument(
        "--to", dest="end", type=parse_date, help="last export date to load (YYYY-MM-DD)"
    )
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every incremental model from raw: the periodic reset, and needed once "
        "after an upgrade changes an incremental model's columns",
    )

    commands.add_parser("demo", help="simulate 92 days, run everything, print the headline figures")
    commands.add_parser("prepare", help="parse the dbt project into its manifest")

    dashboard = commands.add_parser("dashboard", help="serve the BI dashboard (read-only)")
    dashboard.add_argument(
        "--published",
        type=Path,
        help="the published copy to read (default: the one beside LCW_WAREHOUSE, else the "
        "demo's data/published/live_commerce.duckdb)",
    )
    dashboard.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # dbt and dagster are found beside this interpreter even when the virtualenv is not on
    # PATH (cron calling .venv/bin/lcw by its absolute path).
    os.environ["PATH"] = os.pathsep.join(
        [str(Path(sys.executable).parent), os.environ.get("PATH", "")]
    )
    from orchestration.cli.runner import PipelineError

    show_progress()

    try:
        if args.command == "simulate":
            cmd_simulate(args)
        elif args.command == "run":
            cmd_run(
                Settings.from_env(
                    landing_root=args.landing,
                    warehouse_path=args.warehouse,
                    engine=args.engine,
                    lake_root=args.lake,
                ),
                args.start,
                args.end,
                args.full_refresh,
            )
        elif args.command == "demo":
            cmd_demo()
        elif args.command == "prepare":
            cmd_prepare(Settings.from_env())
        elif args.command == "dashboard":
            from orchestration.dashboard import run_dashboard

            return run_dashboard(args.published or Settings.from_env().published_path, args.port)
    except (PipelineError, SettingsError, UsageError) as error:
        print(f"lcw {args.command}: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

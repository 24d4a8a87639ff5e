"""`lcw`: the live-commerce warehouse command line. Thin by design: it calls the simulator and the
same Dagster definitions the UI loads (see pipeline.py)."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

from orchestration.landing.contract import LANDING_FILE_SUFFIXES
from orchestration.settings import REPO_ROOT

DEMO_LANDING = REPO_ROOT / "data" / "landing"
DEMO_WAREHOUSE = REPO_ROOT / "data" / "warehouse.duckdb"
DEMO_START = date(2020, 5, 1)
DEMO_DAYS = 92  # May to July 2020, across the 616 festival
DEMO_ORDERS = 100_000
DEFAULT_ORDERS_PER_DAY = 1_000


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message} ...", flush=True)


def cmd_simulate(
    landing: Path,
    start: date,
    days: int,
    seed: int,
    orders: int | None = None,
    file_format: str = "parquet",
    edge_cases: bool = False,
) -> None:
    if edge_cases:
        from orchestration.simulation.edge_cases import simulate

        progress(f"Simulating the edge-case platform, {days} days from {start} into {landing}")
        summary = simulate(landing, start, days, seed=seed)
    else:
        from orchestration.simulation.calibrated import MANIFEST_NAME, simulate_platform

        orders = orders or DEFAULT_ORDERS_PER_DAY * days
        progress(
            f"Simulating the calibrated platform, {days} days from {start}, about {orders:,} "
            f"orders, into {landing} (seed {seed}, {file_format})"
        )
        summary = simulate_platform(
            landing, start, days, orders, seed=seed, file_format=file_format,
            progress=lambda message: print(f"  {message}", flush=True),
        )  # fmt: skip
        print(f"Planted parameters: {landing / MANIFEST_NAME}")
    rows = ", ".join(f"{source} {count:,}" for source, count in summary.rows_written.items())
    print(f"Wrote {summary.files_written:,} files: {rows}")


def cmd_run(landing: Path, warehouse: Path, start: date | None, end: date | None) -> None:
    from orchestration.pipeline import run_pipeline
    from orchestration.resources import published_path_for

    summary = run_pipeline(warehouse.resolve(), landing.resolve(), start, end, progress=progress)
    print(f"\nExport dates {summary.first_dt} .. {summary.last_dt} into {warehouse}")
    print(f"Published marts for BI: {published_path_for(warehouse.resolve())}")
    print(f"{'source':<22}{'read':>12}{'loaded':>12}{'rejected':>12}")
    for source, counts in summary.loads.items():
        print(f"{source:<22}{counts['read']:>12,}{counts['loaded']:>12,}{counts['rejected']:>12,}")
    print(
        f"dbt: {summary.models_built} models and seeds built; checks: {summary.checks_passed} "
        f"passed, {len(summary.checks_warned)} warnings, {len(summary.checks_failed)} failed; "
        f"{summary.seconds:.1f} s in all"
    )
    for warning in summary.checks_warned:
        print(f"  warning: {warning}")


def format_value(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, Decimal):
        return f"{value:,.2f} CNY"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def percent(numerator: object, denominator: object, rate: object) -> str:
    if rate is None:
        return "-"
    return f"{float(rate):.1%}  ({numerator:,} / {denominator:,})"


def headline_table(h: dict[str, object]) -> str:
    rows = [
        ("Period (paid days)", f"{h['first_day']} .. {h['last_day']}"),
        ("GMV", format_value(h["gmv"])),
        ("Net GMV (after refunds)", format_value(h["net_gmv"])),
        (
            f"Repeat-purchase rate ({h['repeat_purchase_year_start']:%Y}, "
            f"{h['repeat_purchase_covered_days']} of {h['repeat_purchase_period_days']} days)",
            percent(h["repeat_buyers"], h["repeat_purchase_buyers"], h["repeat_purchase_rate"]),
        ),
        (
            f"Returning-buyer share ({h['returning_month_start']:%Y-%m})",
            percent(h["returning_buyers"], h["returning_month_buyers"], h["returning_buyer_share"]),
        ),
        (
            "Private-domain share of GMV",
            f"{float(h['private_domain_share'] or 0):.1%}  "
            f"({format_value(h['private_gmv'])} of {format_value(h['gmv'])})",
        ),
        (
            "Repurchase private share",
            percent(
                h["private_repurchase_orders"],
                h["repurchase_orders"],
                h["repurchase_private_share"],
            ),
        ),
        ("Brushing interceptions per day", format_value(h["brushing_interceptions_per_day"])),
        ("Live rooms banned (private orders)", format_value(h["live_rooms_banned_private_order"])),
        (
            "Gangs cleared (accounts)",
            f"{h['gangs_cleared']:,}  ({h['accounts_cleared']:,} accounts)",
        ),
        (
            "Police referrals (cases, amount)",
            f"{h['police_referrals']:,}  ({h['referral_cases']:,} cases, "
            f"{format_value(h['referral_amount'])})",
        ),
        (
            "Pinocchio sessions / users / penalties",
            f"{h['pinocchio_sessions']:,} / {h['pinocchio_reporters']:,} / "
            f"{h['pinocchio_penalties']:,}",
        ),
    ]
    width = max(len(label) for label, _ in rows)
    lines = [f"{'Headline figures':<{width}}  value", "-" * (width + 40)]
    lines += [f"{label:<{width}}  {value}" for label, value in rows]
    return "\n".join(lines)


def cmd_demo() -> None:
    from orchestration.pipeline import headline_figures, landing_export_dates
    from orchestration.resources import published_path_for

    if landing_export_dates(DEMO_LANDING):
        progress(f"Using the landing data already in {DEMO_LANDING}")
    else:
        cmd_simulate(DEMO_LANDING, DEMO_START, DEMO_DAYS, seed=7, orders=DEMO_ORDERS)
    cmd_run(DEMO_LANDING, DEMO_WAREHOUSE, None, None)
    published = published_path_for(DEMO_WAREHOUSE)
    print()
    print(headline_table(headline_figures(published)))
    print(f"\nBI tools read the published marts (read-only): {published}; see README.")


def cmd_prepare() -> None:
    from orchestration.project import prepare_dbt_manifest

    prepare_dbt_manifest(force=True)
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
    simulate.add_argument("--landing", type=Path, required=True)
    simulate.add_argument("--start", type=parse_date, required=True)
    simulate.add_argument("--days", type=int, required=True)
    simulate.add_argument("--seed", type=int, default=7)
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
    )
    simulate.add_argument(
        "--edge-cases",
        action="store_true",
        help="the small uncalibrated platform with every edge case of the landing contract "
        "(mixed formats, naive timestamps, distribution), as the end-to-end tests use",
    )

    run = commands.add_parser("run", help="ingest a landing dir and build every model and test")
    run.add_argument("--landing", type=Path, required=True)
    run.add_argument("--warehouse", type=Path, required=True)
    run.add_argument("--from", dest="start", type=parse_date)
    run.add_argument("--to", dest="end", type=parse_date)

    commands.add_parser("demo", help="simulate 92 days, run everything, print the headline figures")
    commands.add_parser("prepare", help="parse the dbt project into its manifest")

    dashboard = commands.add_parser("dashboard", help="serve the BI dashboard (read-only)")
    dashboard.add_argument(
        "--published",
        type=Path,
        default=DEMO_WAREHOUSE.parent / "published" / "live_commerce.duckdb",
        help="the published copy to read (default: the demo's)",
    )
    dashboard.add_argument("--port", type=int, default=8501)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from orchestration.pipeline import PipelineError

    try:
        if args.command == "simulate":
            if args.days < 1:
                raise PipelineError("--days must be at least 1")
            if args.orders is not None and args.orders < 1:
                raise PipelineError("--orders must be at least 1")
            cmd_simulate(
                args.landing, args.start, args.days, args.seed, args.orders, args.file_format,
                args.edge_cases,
            )  # fmt: skip
        elif args.command == "run":
            cmd_run(args.landing, args.warehouse, args.start, args.end)
        elif args.command == "demo":
            cmd_demo()
        elif args.command == "prepare":
            cmd_prepare()
        elif args.command == "dashboard":
            from orchestration.dashboard import run_dashboard

            return run_dashboard(args.published, args.port)
    except PipelineError as error:
        print(f"lcw {args.command}: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Run the warehouse end to end through the Dagster definitions, in process.

This is what `lcw run` does: the same jobs, assets and resources the Dagster UI runs, executed
in this process. It finds the export dates in the landing zone, runs the ingestion job once over
that range, then the dbt build job, and reports what happened.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
from dagster import AssetCheckSeverity, DagsterEventType, DagsterInstance, ExecuteInProcessResult

from orchestration.landing.contract import SOURCES
from orchestration.landing.loader import invalid_partition_folders, list_partitions

# Dagster's tags for one run over a range of partitions (a single-run backfill).
PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"

# Dagster's own console log stays quiet; `lcw` prints progress and a one-line reason on failure.
QUIET_LOGGING = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


class PipelineError(Exception):
    """A run that did not succeed; the message is one line a person can act on."""


@dataclass
class RunSummary:
    first_dt: date
    last_dt: date
    loads: dict[str, dict[str, int]] = field(default_factory=dict)
    models_built: int = 0
    checks_passed: int = 0
    checks_warned: list[str] = field(default_factory=list)
    checks_failed: list[str] = field(default_factory=list)
    seconds: float = 0.0


def landing_export_dates(landing_root: Path) -> list[date]:
    """Every export date that has a partition folder in any source."""
    return sorted({dt for source in SOURCES for dt in list_partitions(landing_root, source)})


def select_range(found: list[date], start: date | None, end: date | None) -> tuple[date, date]:
    """The export-date range to ingest: the found dates, clipped to --from/--to when given."""
    chosen = [d for d in found if (start is None or d >= start) and (end is None or d <= end)]
    if start is not None and end is not None and start > end:
        raise PipelineError(f"--from {start} is after --to {end}")
    if not chosen:
        raise PipelineError("no export-date partitions (dt=YYYY-MM-DD folders) found in that range")
    return (start or chosen[0]), (end or chosen[-1])


def cli_instance() -> DagsterInstance:
    """The instance under DAGSTER_HOME when set (runs show in the UI), else an ephemeral one."""
    return DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else DagsterInstance.ephemeral()


def first_failure(result: ExecuteInProcessResult) -> str:
    for event in result.all_events:
        if event.event_type == DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            message = " ".join(error.message.split()) if error else "unknown error"
            return f"step {event.step_key} failed: {message[:400]}"
    return "the run failed"


def run_pipeline(
    warehouse_path: Path,
    landing_root: Path,
    start: date | None = None,
    end: date | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> RunSummary:
    """Ingest the export dates found in the landing zone (or a range), then dbt build everything."""
    # Imported here: the dbt assets need the manifest that `prepare_dbt_manifest` writes.
    from orchestration.project import prepare_dbt_manifest

    began = time.monotonic()
    if not landing_root.is_dir():
        raise PipelineError(f"landing directory {landing_root} does not exist")
    first_dt, last_dt = select_range(landing_export_dates(landing_root), start, end)
    from orchestration.ingestion_assets import export_date_partitions

    last_complete = date.fromisoformat(export_date_partitions.get_last_partition_key())
    if last_dt > last_complete:
        progress(f"Warning: export dates after {last_complete} are not complete yet; skipped")
        last_dt = last_complete
        if first_dt > last_dt:
            raise PipelineError(f"no complete export date in the range (last is {last_complete})")
    for source in SOURCES:
        for folder in invalid_partition_folders(landing_root, source):
            progress(f"Warning: ignoring {source}/{folder}: not a dt=YYYY-MM-DD partition folder")
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)

    progress("Preparing the dbt manifest")
    prepare_dbt_manifest(warehouse_path)
    from orchestration.definitions import build_definitions

    defs = build_definitions(warehouse_path=warehouse_path, landing_root=landing_root)
    summary = RunSummary(first_dt, last_dt)
    # dbt's own log lines go to a file beside the warehouse; the terminal gets progress lines.
    log_path = warehouse_path.with_suffix(".run.log")
    progress(f"Writing the detailed log to {log_path}")
    with cli_instance() as instance, open(log_path, "w", encoding="utf-8") as log:
        days = (last_dt - first_dt).days + 1
        progress(
            f"Ingesting {days} export dates ({first_dt} .. {last_dt}) of all sources and "
            "updating the incremental models"
        )
        with contextlib.redirect_stdout(log):
            ingest = defs.resolve_job_def("ingest_landing").execute_in_process(
                instance=instance,
                run_config=QUIET_LOGGING,
                tags={
                    PARTITION_RANGE_START_TAG: first_dt.isoformat(),
                    PARTITION_RANGE_END_TAG: last_dt.isoformat(),
                },
                raise_on_error=False,
            )
        if not ingest.success:
            failed = [e.check_name for e in ingest.get_asset_check_evaluations() if not e.passed]
            reason = f"checks failed: {', '.join(failed[:3])}" if failed else first_failure(ingest)
            raise PipelineError(f"ingestion failed: {reason} (log: {log_path})")
        summary.loads = load_counts(warehouse_path, first_dt, last_dt)

        progress("Rebuilding the marts from them, running every dbt test, publishing")
        with contextlib.redirect_stdout(log):
            build = defs.resolve_job_def("build_warehouse").execute_in_process(
                instance=instance, run_config=QUIET_LOGGING, raise_on_error=False
            )
        # dbt models and seeds (once each, however many partitions); checks of both runs.
        built = {
            event.asset_key
            for result in (ingest, build)
            for event in result.get_asset_materialization_events()
            if event.asset_key and event.asset_key.path[0] not in ("raw", "published")
        }
        summary.models_built = len(built)
        for result in (ingest, build):
            for evaluation in result.get_asset_check_evaluations():
                name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
                if evaluation.passed:
                    summary.checks_passed += 1
                elif evaluation.severity == AssetCheckSeverity.WARN:
                    summary.checks_warned.append(name)
                else:
                    summary.checks_failed.append(name)
        summary.seconds = time.monotonic() - began
        if not build.success:
            failed = ", ".join(summary.checks_failed[:3])
            reason = f"dbt tests failed: {failed}" if failed else first_failure(build)
            raise PipelineError(f"dbt build failed: {reason} (log: {log_path})")
    return summary


def load_counts(warehouse_path: Path, first_dt: date, last_dt: date) -> dict[str, dict[str, int]]:
    """Rows read, loaded and rejected per source over a range, from the load-audit table."""
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
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
    return counts


def headline_figures(published_path: Path) -> dict[str, object]:
    """The one row of marts.headline_figures in the published copy, by column name."""
    with duckdb.connect(str(published_path), read_only=True) as conn:
        cursor = conn.execute("SELECT * FROM marts.headline_figures")
        names = [d[0] for d in cursor.description]
        row = cursor.fetchone()
        if row is None:
            raise PipelineError("marts.headline_figures is empty: no counted orders were loaded")
        figures = dict(zip(names, row, strict=True))
        # How much of the repeat-purchase year the data covers (a year of May-July is partial).
        covered = conn.execute(
            "SELECT covered_days, period_days FROM marts.period_coverage "
            "WHERE period_grain = 'year' AND period_start = ?",
            [figures["repeat_purchase_year_start"]],
        ).fetchone()
    figures["repeat_purchase_covered_days"], figures["repeat_purchase_period_days"] = covered
    return figures

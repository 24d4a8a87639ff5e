"""Run the warehouse end to end through the Dagster definitions, in process.

This is what `lcw run` does: the same jobs, assets and resources the Dagster UI runs, executed
in this process against the project's Dagster instance (so the UI shows the run). It finds the
export dates in the landing zone, runs the ingestion job once over that range, then the build
job, and reports what happened. Failures raise `PipelineError` with one line naming the cause.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
from dagster import (
    AssetCheckEvaluation,
    AssetCheckSeverity,
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    ExecuteInProcessResult,
    RunsFilter,
)
from dagster._core.instance.ref import InstanceRef

from orchestration.dagster_storage import EVENT_BATCH_SIZE, storage_config
from orchestration.defs import build_definitions
from orchestration.defs.dbt.assets import DBT_ASSETS_NAME
from orchestration.defs.dbt.project import (
    dbt_project,
    manifest_is_current,
    parse_key,
    prepare_dbt_manifest,
)
from orchestration.defs.jobs import UPDATE_JOB
from orchestration.defs.partitions import partition_range_tags
from orchestration.defs.publish import PUBLISHED_KEY
from orchestration.landing.contract import REPORTING_TIME_ZONE, SOURCES
from orchestration.landing.discovery import (
    first_export_date,
    invalid_partition_folders,
    list_partitions,
)
from orchestration.landing.fingerprints import loaded_fingerprints, partition_fingerprint
from orchestration.settings import REPO_ROOT, WAREHOUSE_POOL, Settings, environment_set
from orchestration.warehouse.queries import load_counts

# Dagster's own console log stays quiet; `lcw` prints progress and a one-line reason on failure.
QUIET_LOGGING = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}

# The project's Dagster instance when DAGSTER_HOME is not set: `dagster dev` started from the
# repository root keeps its storage here too (dagster.yaml), so the UI shows every CLI run.
PROJECT_DAGSTER_HOME = REPO_ROOT / ".dagster_home"

# Every run `lcw` executes carries the machine and process that execute it, so a later `lcw`
# can tell a run in progress from one whose process died (release_abandoned_runs).
RUN_PROCESS_TAG = "lcw/process"


class PipelineError(Exception):
    """A run that did not succeed; the message is one line a person can act on."""


@dataclass
class RunSummary:
    first_dt: date
    last_dt: date
    loads: dict[str, dict[str, int]] = field(default_factory=dict)
    reject_reasons: dict[str, int] = field(default_factory=dict)
    models_built: int = 0
    checks_passed: int = 0
    checks_warned: list[str] = field(default_factory=list)
    checks_failed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    nothing_changed: bool = False


def last_complete_export_date(today: date | None = None) -> date:
    """Yesterday in Asia/Shanghai: today's export is still being written."""
    today = today or datetime.now(ZoneInfo(REPORTING_TIME_ZONE)).date()
    return today - timedelta(days=1)


def select_range(found: list[date], start: date | None, end: date | None) -> tuple[date, date]:
    """The export-date range to ingest: the found dates, clipped to --from/--to when given."""
    if start is not None and end is not None and start > end:
        raise PipelineError(f"--from {start} is after --to {end}")
    chosen = [d for d in found if (start is None or d >= start) and (end is None or d <= end)]
    if not chosen:
        raise PipelineError("no export-date partitions (dt=YYYY-MM-DD folders) found in that range")
    return (start or chosen[0]), (end or chosen[-1])


def project_instance() -> DagsterInstance:
    """The instance under DAGSTER_HOME when set, else the project's own (.dagster_home)."""
    if os.environ.get("DAGSTER_HOME"):
        return DagsterInstance.get()
    storage = PROJECT_DAGSTER_HOME / "storage"
    storage.mkdir(parents=True, exist_ok=True)
    ref = InstanceRef.from_dir(
        str(PROJECT_DAGSTER_HOME),
        config_dir=str(REPO_ROOT),
        overrides={"storage": storage_config(str(storage))},
    )
    return DagsterInstance.from_ref(ref)


def innermost_message(error) -> str:
    """The underlying exception of a Dagster error (its cause chain), not Dagster's wrapper."""
    while getattr(error, "cause", None) is not None:
        error = error.cause
    return " ".join(error.message.split()) if error else "unknown error"


# dagster-dbt's error for a failed dbt process starts with the whole command line; what dbt
# logged as errors (the model and DuckDB's message) follows this marker.
DBT_ERRORS = "Errors parsed from dbt logs:"
RUN_OUT_OF_ROOM = ("Out of Memory Error", "max_temp_directory_size", "No space left on device")
ROOM_HINT = (
    "DuckDB ran out of memory or of room to spill: raise LCW_DUCKDB_MEMORY_LIMIT, or "
    "LCW_DUCKDB_MAX_SPILL if the disk has room, or point LCW_DUCKDB_TEMP_DIR at a larger disk"
)


def cause_line(message: str, limit: int = 400) -> str:
    """An error message cut to the part that names the cause, on one line: for a failed dbt
    process the errors dbt logged, not its command line; with what to do when DuckDB ran out of
    memory or of room to spill (its cap, or the disk)."""
    cause = " ".join(message.split(DBT_ERRORS, 1)[-1].split())[:limit]
    if any(sign in message for sign in RUN_OUT_OF_ROOM):
        return f"{cause} ({ROOM_HINT})"
    return cause


def first_failure(result: ExecuteInProcessResult) -> tuple[str | None, str]:
    """(the step that failed first, a line naming it and the underlying cause)."""
    for event in result.all_events:
        if event.event_type == DagsterEventType.STEP_FAILURE:
            cause = cause_line(innermost_message(event.step_failure_data.error))
            return event.step_key, f"step {event.step_key} failed: {cause}"
    return None, "the run failed"


# The stages of the one job, as `lcw run` names them when one fails.
INGESTION, DBT_BUILD, PUBLISHING = "ingestion", "dbt build", "publishing"


def stage_of(step_key: str | None, published_step: str) -> str:
    """The stage a step belongs to: the dbt step, the publishing step, else an ingestion step."""
    if step_key == DBT_ASSETS_NAME:
        return DBT_BUILD
    return PUBLISHING if step_key == published_step else INGESTION


def failure_reason(stage: str, failed_checks: list[str], step_failure: str) -> str:
    """The one-line cause: the failed checks of the stage when there are any (a blocking
    ingestion check, dbt tests), else the failed step's underlying error."""
    if failed_checks:
        what = "dbt tests" if stage == DBT_BUILD else "checks"
        return f"{what} failed: {'; '.join(failed_checks[:3])}"
    return step_failure


def skipped_steps(result: ExecuteInProcessResult) -> list[str]:
    """Dagster's message for each step a successful run skipped. A run succeeds even when a
    step was skipped because an upstream output never came (e.g. a dbt event that dagster-dbt
    could not read), but then that step did not run: e.g. no publish."""
    return [
        " ".join((event.message or event.step_key or "a step was skipped").split())
        for event in result.all_events
        if event.event_type == DagsterEventType.STEP_SKIPPED
    ]


def failed_check_lines(evaluations: list[AssetCheckEvaluation]) -> list[str]:
    """One line per failed check: the asset, the check and its figures."""
    lines = []
    for evaluation in evaluations:
        if evaluation.passed:
            continue
        figures = {
            key: value.value
            for key, value in evaluation.metadata.items()
            if getattr(value, "value", None) not in (None, {}, [])
        }
        detail = ", ".join(f"{key}={value}" for key, value in figures.items())
        name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
        lines.append(f"{name} ({detail})" if detail else name)
    return lines


def process_is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def release_abandoned_runs(instance: DagsterInstance, progress: Callable[[str], None]) -> None:
    """Mark failed the runs an `lcw` process on this machine started and never finished (it was
    killed, or the machine stopped), and free the warehouse pool slots they held. Dagster frees
    a step's slot when the step ends; the slot of a step whose process died stays claimed, and
    every later run waited for it, at full CPU, without a word."""
    host = socket.gethostname()
    in_progress = RunsFilter(statuses=[DagsterRunStatus.STARTING, DagsterRunStatus.STARTED])
    for run in instance.get_runs(in_progress):
        run_host, _, pid = run.tags.get(RUN_PROCESS_TAG, "").rpartition(":")
        if run_host != host or not pid.isdigit() or process_is_alive(int(pid)):
            continue
        message = (
            f"the lcw process that ran it (PID {pid}) ended before the run did; a later lcw run "
            "marked it failed and released its hold on the warehouse"
        )
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        instance.report_run_failed(run, message)
        progress(f"Released run {run.run_id[:8]}: {message}")
    holders = instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL).claimed_slots
    for holder in holders:
        progress(
            f"Waiting for the {WAREHOUSE_POOL} pool: run {holder.run_id[:8]} holds it (step "
            f"{holder.step_key}); the Dagster UI shows that run"
        )


def check_warehouse_is_free(warehouse_path: Path) -> None:
    """Fail at once, naming the cause, when the warehouse is held by another process or is not
    a DuckDB file (Dagster's DuckDB resource would otherwise retry for minutes)."""
    if not warehouse_path.exists():
        return
    try:
        duckdb.connect(str(warehouse_path)).close()
    except duckdb.IOException as error:
        message = str(error)
        if "lock" in message:
            holder = re.search(r"held in (.*) \(PID (\d+)\)", message)
            who = f"PID {holder.group(2)} ({holder.group(1)})" if holder else "another process"
            raise PipelineError(
                f"{warehouse_path.name} is locked by {who}; close it or point BI tools at the "
                "published copy"
            ) from error
        raise PipelineError(f"{warehouse_path}: {message.removeprefix('IO Error: ')}") from error


@contextlib.contextmanager
def single_writer(warehouse_path: Path) -> Iterator[None]:
    """One `lcw run` per warehouse at a time, across processes: a second run refuses at once
    (never interleaves), naming the run that holds the warehouse."""
    lock_path = warehouse_path.with_name(warehouse_path.name + ".lock")
    with open(lock_path, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            raise PipelineError(
                f"another lcw run ({holder}) is writing {warehouse_path.name}; wait for it to "
                "finish, then run again"
            ) from error
        lock.seek(0)
        lock.truncate()
        lock.write(f"PID {os.getpid()}")
        lock.flush()
        try:
            yield
        finally:
            lock.truncate(0)


def published_copy_is_current(settings: Settings, first_dt: date, last_dt: date) -> bool:
    """True when a run over [first_dt, last_dt] would change nothing: every partition's files
    (and the loader's code) are as when they were last loaded, the last publish came after the
    last load, and the dbt project has not changed since."""
    published = settings.published_path
    if not (settings.warehouse_path.exists() and published.exists()):
        return False
    published_at = published.stat().st_mtime
    manifest = dbt_project.manifest_path
    if not manifest_is_current(parse_key(settings)) or manifest.stat().st_mtime > published_at:
        return False
    days = [first_dt + timedelta(days=n) for n in range((last_dt - first_dt).days + 1)]
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        for source in SOURCES:
            loaded = loaded_fingerprints(conn, source, first_dt, last_dt)
            if any(
                loaded.get(dt) != partition_fingerprint(settings.landing_root, source, dt)
                for dt in days
            ):
                return False
        (last_load,) = conn.execute("SELECT max(loaded_at) FROM raw.load_audit").fetchone()
    return last_load is not None and last_load.timestamp() <= published_at


def plan_range(
    settings: Settings,
    start: date | None,
    end: date | None,
    progress: Callable[[str], None],
) -> tuple[date, date, list[str]]:
    """(first, last) export dates to load, and warnings about folders that are not loaded."""
    warnings = []
    last_complete = last_complete_export_date()
    found = set()
    for source in SOURCES:
        for folder in invalid_partition_folders(settings.landing_root, source):
            warnings.append(f"ignoring {source}/{folder}: not a dt=YYYY-MM-DD partition folder")
        for dt in list_partitions(settings.landing_root, source):
            if dt > last_complete:
                warnings.append(
                    f"skipping {source}/dt={dt}: export dates after {last_complete} are not "
                    "complete yet"
                )
            elif dt < settings.first_export_date:
                warnings.append(
                    f"skipping {source}/dt={dt}: before the first export date "
                    f"{settings.first_export_date} (LCW_FIRST_EXPORT_DATE)"
                )
            else:
                found.add(dt)
    for warning in warnings:
        progress(f"Warning: {warning}")
    first_dt, last_dt = select_range(sorted(found), start, end)
    return first_dt, min(last_dt, last_complete), warnings


def run_pipeline(
    settings: Settings,
    start: date | None = None,
    end: date | None = None,
    progress: Callable[[str], None] = lambda _: None,
    full_refresh: bool = False,
) -> RunSummary:
    """Ingest the export dates found in the landing zone (or a range), then build and publish;
    `full_refresh` rebuilds every incremental model from raw."""
    began = time.monotonic()
    if not settings.landing_root.is_dir():
        raise PipelineError(f"landing directory {settings.landing_root} does not exist")
    settings = settings.with_changes(
        first_export_date=first_export_date(settings.landing_root, settings.first_export_date)
    )
    first_dt, last_dt, warnings = plan_range(settings, start, end, progress)
    if first_dt > last_dt:
        raise PipelineError(f"no complete export date in the range (last is {last_dt})")
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    check_warehouse_is_free(settings.warehouse_path)
    with single_writer(settings.warehouse_path):
        if not full_refresh and published_copy_is_current(settings, first_dt, last_dt):
            progress("Nothing changed since the last build: the published copy is current")
            summary = RunSummary(first_dt, last_dt, nothing_changed=True)
            summary.loads, summary.reject_reasons = load_counts(
                settings.warehouse_path, first_dt, last_dt
            )
        else:
            summary = _run_job(settings, first_dt, last_dt, progress, full_refresh)
    summary.warnings = warnings + summary.warnings
    summary.seconds = time.monotonic() - began
    return summary


# Before a run starts, Dagster stores a "planned" event for each asset and partition it will
# materialise: 6 × 365 events for a year of export dates, about 15 s here with Dagster's SQLite
# storage. With this option of Dagster's it stores one event per asset, naming the range. The
# price: the UI shows the partitions of a failed run as missing rather than failed (the run
# itself shows as failed, and `lcw run` says why). A run of one export date keeps the default.
PLANNED_EVENT_PER_ASSET = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"


# After the run starts, each ingestion asset stores a materialisation event per export date. With
# this variable Dagster hands a step's events to the storage together, and the project's storage
# writes them in one transaction (orchestration/dagster_storage.py).
EVENT_BATCH_SIZE_VARIABLE = "DAGSTER_EVENT_BATCH_SIZE"


def range_run_environment(days: int) -> dict[str, str | None]:
    """The environment for a run over `days` export dates (see PLANNED_EVENT_PER_ASSET and
    EVENT_BATCH_SIZE_VARIABLE); a variable the user set is kept."""
    if days == 1:
        return {}
    wanted = {PLANNED_EVENT_PER_ASSET: "true", EVENT_BATCH_SIZE_VARIABLE: EVENT_BATCH_SIZE}
    return {name: value for name, value in wanted.items() if name not in os.environ}


def _run_job(
    settings: Settings,
    first_dt: date,
    last_dt: date,
    progress: Callable[[str], None],
    full_refresh: bool,
) -> RunSummary:
    progress("Preparing the dbt manifest")
    prepare_dbt_manifest(settings)
    defs = build_definitions(settings)
    published_step = defs.resolve_assets_def(PUBLISHED_KEY).node_def.name
    summary = RunSummary(first_dt, last_dt)
    run_config = {
        **QUIET_LOGGING,
        "ops": {DBT_ASSETS_NAME: {"config": {"full_refresh": full_refresh}}},
    }
    log_path = settings.run_log_path
    progress(f"Writing the detailed log to {log_path}")
    with project_instance() as instance, open(log_path, "w", encoding="utf-8") as log:
        days = (last_dt - first_dt).days + 1
        progress(
            f"Ingesting {days} export dates ({first_dt} .. {last_dt}) of all sources, then one "
            "dbt build (incremental models for those dates, the marts, every dbt test), then "
            "publishing"
        )
        release_abandoned_runs(instance, progress)
        with contextlib.redirect_stdout(log), environment_set(range_run_environment(days)):
            result = defs.resolve_job_def(UPDATE_JOB).execute_in_process(
                instance=instance,
                run_config=run_config,
                tags={
                    **partition_range_tags(first_dt.isoformat(), last_dt.isoformat()),
                    RUN_PROCESS_TAG: f"{socket.gethostname()}:{os.getpid()}",
                },
                raise_on_error=False,
            )
        failed_by_stage = _count_checks(summary, result, published_step)
        # dbt models and seeds (once each, however many partitions).
        summary.models_built = len(
            {
                event.asset_key
                for event in result.get_asset_materialization_events()
                if event.asset_key and event.asset_key.path[0] not in ("raw", "published")
            }
        )
        if not result.success or summary.checks_failed:
            step, step_failure = first_failure(result)
            # The earliest stage that failed: a failed step, or an error check that failed
            # without failing its step.
            stage = min(
                [stage_of(step, published_step)] if step else list(failed_by_stage),
                key=[INGESTION, DBT_BUILD, PUBLISHING].index,
                default=INGESTION,
            )
            _log_failure(log, result)
            reason = failure_reason(stage, failed_by_stage.get(stage, []), step_failure)
            raise PipelineError(f"{stage} failed: {reason} (log: {log_path})")
        skipped = skipped_steps(result)
        if skipped:
            raise PipelineError(
                f"the run did not finish: {skipped[0]}; the published copy may be older than "
                f"this run (log: {log_path})"
            )
        summary.loads, summary.reject_reasons = load_counts(
            settings.warehouse_path, first_dt, last_dt
        )
    return summary


def _count_checks(
    summary: RunSummary, result: ExecuteInProcessResult, published_step: str
) -> dict[str, list[str]]:
    """Counts the run's check evaluations into `summary`; returns the failed ones (not warnings)
    by the stage whose step evaluated them."""
    failed_by_stage: dict[str, list[str]] = {}
    for event in result.all_events:
        if event.event_type != DagsterEventType.ASSET_CHECK_EVALUATION:
            continue
        evaluation = event.event_specific_data
        if evaluation.passed:
            summary.checks_passed += 1
        elif evaluation.severity == AssetCheckSeverity.WARN:
            summary.checks_warned += failed_check_lines([evaluation])
        else:
            lines = failed_check_lines([evaluation])
            summary.checks_failed += lines
            failed_by_stage.setdefault(stage_of(event.step_key, published_step), []).extend(lines)
    return failed_by_stage


def _log_failure(log, result: ExecuteInProcessResult) -> None:
    """The full tracebacks of failed steps go to the run log the one-line message points at."""
    for event in result.all_events:
        if event.event_type == DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            log.write(f"\n--- step {event.step_key} failed ---\n")
            while error is not None:
                log.write(error.to_string())
                error = error.cause

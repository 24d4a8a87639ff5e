"""What starts runs: the daily schedule and the landing sensor, both of the one job
(`update_warehouse`: ingestion, one dbt build, publish). Both are off until a person turns them
on in the UI.
"""

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

from dagster import (
    DefaultSensorStatus,
    JobDefinition,
    PartitionsDefinition,
    RunRequest,
    ScheduleDefinition,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    build_schedule_from_partitioned_job,
    sensor,
)

from orchestration.defs.partitions import partition_range_tags
from orchestration.defs.resources import LandingZone
from orchestration.landing.contract import SOURCES
from orchestration.landing.discovery import invalid_partition_folders, list_partitions
from orchestration.landing.fingerprints import partition_fingerprint


def landing_partition_versions(landing_root: Path, partitions: PartitionsDefinition) -> dict:
    """Each export date found in any source (within the partitions Dagster knows), with a
    version over all sources' partition fingerprints: a partition whose files change in any way
    (a corrected re-export, a file added or removed) gets a new version, so a new run."""
    first = partitions.get_first_partition_key()
    last = partitions.get_last_partition_key()
    found = {
        dt
        for source in SOURCES
        for dt in list_partitions(landing_root, source)
        if first is not None and last is not None and first <= dt.isoformat() <= last
    }
    return {
        dt.isoformat(): hashlib.sha256(
            repr([partition_fingerprint(landing_root, s, dt) for s in SOURCES]).encode()
        ).hexdigest()[:16]
        for dt in sorted(found)
    }


def consecutive_ranges(dates: list[str]) -> list[tuple[str, str]]:
    """Sorted ISO dates as (first, last) ranges of consecutive days."""
    ranges: list[tuple[str, str]] = []
    for dt in sorted(dates):
        day = date.fromisoformat(dt)
        if ranges and date.fromisoformat(ranges[-1][1]) + timedelta(days=1) == day:
            ranges[-1] = (ranges[-1][0], dt)
        else:
            ranges.append((dt, dt))
    return ranges


def landing_run_requests(versions: dict[str, str], requested: dict[str, str]) -> list[RunRequest]:
    """One run for each range of consecutive export dates that are new or changed since they
    were last requested: each run is one dbt build, however many dates it loads."""
    changed = [dt for dt, version in versions.items() if requested.get(dt) != version]
    requests = []
    for first, last in consecutive_ranges(changed):
        days = [dt for dt in sorted(changed) if first <= dt <= last]
        digest = hashlib.sha256(repr([(dt, versions[dt]) for dt in days]).encode()).hexdigest()
        requests.append(
            RunRequest(
                run_key=f"{first}..{last}@{digest[:16]}",
                tags=partition_range_tags(first, last),
            )
        )
    return requests


def build_landing_sensor(
    update_job: JobDefinition, partitions: PartitionsDefinition
) -> SensorDefinition:
    @sensor(
        job=update_job,
        minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.STOPPED,
        description=(
            "Requests one run for each range of consecutive dt= partitions that are new or "
            "changed (a re-export) since the sensor last requested them."
        ),
    )
    def landing_partition_sensor(context: SensorEvaluationContext, landing: LandingZone):
        for source in SOURCES:
            for folder in invalid_partition_folders(landing.path, source):
                context.log.warning(f"ignoring {source}/{folder}: not a dt=YYYY-MM-DD folder")
        versions = landing_partition_versions(landing.path, partitions)
        if not versions:
            return SkipReason(f"no dt= partitions under {landing.path}")
        # The cursor holds the version of each date last requested, so a date is requested
        # again only when its files change; the run key guards against a repeated tick.
        requested = json.loads(context.cursor) if context.cursor else {}
        requests = landing_run_requests(versions, requested)
        if not requests:
            return SkipReason("no new or changed dt= partitions")
        return SensorResult(run_requests=requests, cursor=json.dumps({**requested, **versions}))

    return landing_partition_sensor


def build_daily_schedule(update_job: JobDefinition) -> ScheduleDefinition:
    return build_schedule_from_partitioned_job(
        update_job,
        hour_of_day=1,
        description=(
            "Each day at 01:00 Asia/Shanghai, load the previous day's export partition, build "
            "and publish (one run of update_warehouse)."
        ),
    )

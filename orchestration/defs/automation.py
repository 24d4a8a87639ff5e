"""What starts runs: the daily schedule and the landing sensor, both of the one job
(`update_warehouse`: ingestion, one dbt build, publish). Both are off until a person turns them
on in the UI.
"""

import hashlib
from pathlib import Path

from dagster import (
    DefaultSensorStatus,
    JobDefinition,
    PartitionsDefinition,
    RunRequest,
    ScheduleDefinition,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    build_schedule_from_partitioned_job,
    sensor,
)

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


def build_landing_sensor(
    update_job: JobDefinition, partitions: PartitionsDefinition
) -> SensorDefinition:
    @sensor(
        job=update_job,
        minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.STOPPED,
        description="Requests a run for each new or changed dt= partition.",
    )
    def landing_partition_sensor(context: SensorEvaluationContext, landing: LandingZone):
        for source in SOURCES:
            for folder in invalid_partition_folders(landing.path, source):
                context.log.warning(f"ignoring {source}/{folder}: not a dt=YYYY-MM-DD folder")
        versions = landing_partition_versions(landing.path, partitions)
        if not versions:
            return SkipReason(f"no dt= partitions under {landing.path}")
        # The run key makes Dagster request each partition version once, however often this runs.
        return [
            RunRequest(run_key=f"{dt}@{version}", partition_key=dt)
            for dt, version in sorted(versions.items())
        ]

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

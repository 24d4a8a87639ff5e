"""A sensor that notices new or re-exported `dt=` partitions in the landing zone."""

import hashlib

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SkipReason, sensor

from orchestration.ingestion_assets import export_date_partitions
from orchestration.landing.contract import SOURCES
from orchestration.landing.loader import invalid_partition_folders, list_partitions, partition_files
from orchestration.resources import LandingZone


def landing_partition_versions(landing: LandingZone) -> dict[str, str]:
    """Each export date found in any source (within the partitions Dagster knows), with a
    version: a hash of the names, sizes and modification times of all its files.

    A partition whose files change in any way (a corrected re-export, a file added or removed)
    gets a new version, so a new run."""
    first = export_date_partitions.get_first_partition_key()
    last = export_date_partitions.get_last_partition_key()
    files: dict[str, list[tuple[str, int, int]]] = {}
    for source in SOURCES:
        for dt in list_partitions(landing.path, source):
            key = dt.isoformat()
            if first is None or last is None or not first <= key <= last:
                continue  # not a partition yet (today's export) or before the partitions start
            for path in partition_files(landing.path, source, dt):
                stat = path.stat()
                files.setdefault(key, []).append(
                    (f"{source}/{path.name}", stat.st_size, stat.st_mtime_ns)
                )
    return {
        key: hashlib.sha256(repr(sorted(entries)).encode()).hexdigest()[:16]
        for key, entries in files.items()
    }


@sensor(
    job_name="ingest_landing",
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.STOPPED,
    description="Requests an ingestion run for each new or changed dt= partition.",
)
def landing_partition_sensor(context: SensorEvaluationContext, landing: LandingZone):
    for source in SOURCES:
        for folder in invalid_partition_folders(landing.path, source):
            context.log.warning(f"ignoring {source}/{folder}: not a dt=YYYY-MM-DD folder")
    versions = landing_partition_versions(landing)
    if not versions:
        return SkipReason(f"no dt= partitions under {landing.path}")
    # The run key makes Dagster request each partition version once, however often this runs.
    return [
        RunRequest(run_key=f"{dt}@{version}", partition_key=dt)
        for dt, version in sorted(versions.items())
    ]

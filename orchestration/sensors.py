"""A sensor that notices new or re-exported `dt=` partitions in the landing zone."""

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SkipReason, sensor

from orchestration.ingest import invalid_partition_folders, list_partitions, partition_files
from orchestration.landing_contract import SOURCES
from orchestration.resources import LandingZone


def landing_partition_versions(landing: LandingZone) -> dict[str, int]:
    """Each export date found in any source, with the newest modification time of its files.

    A partition whose files change (a corrected re-export) gets a new version, so a new run."""
    versions: dict[str, int] = {}
    for source in SOURCES:
        for dt in list_partitions(landing.path, source):
            mtimes = [p.stat().st_mtime_ns for p in partition_files(landing.path, source, dt)]
            key = dt.isoformat()
            versions[key] = max([versions.get(key, 0), *mtimes])
    return versions


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

"""The Dagster code location: what `dagster dev` shows and what `lcw` runs, one code path."""

from __future__ import annotations

from pathlib import Path

from dagster import (
    AssetSelection,
    DagsterRunStatus,
    Definitions,
    RunRequest,
    RunStatusSensorContext,
    build_schedule_from_partitioned_job,
    define_asset_job,
    in_process_executor,
    run_status_sensor,
)

from orchestration.dbt_assets import warehouse_dbt_assets, warehouse_dbt_partitioned_assets
from orchestration.ingestion_assets import ingestion_assets
from orchestration.publish import published_marts
from orchestration.resources import build_resources
from orchestration.sensors import landing_partition_sensor
from orchestration.settings import default_landing_root, default_warehouse_path

# A run of a window of export dates: ingestion, then the staging views and incremental dbt models
# for that window. dbt source tests are checks on the ingestion assets that run inside `dbt build`,
# so each job selects the checks of its own assets definitions. Both jobs run their steps in one
# process: DuckDB has one writer, so step processes would only add start-up time.
partitioned_assets = [*ingestion_assets, warehouse_dbt_partitioned_assets]
ingest_job = define_asset_job(
    "ingest_landing",
    selection=AssetSelection.assets(*partitioned_assets).without_checks()
    | AssetSelection.checks(*(key for a in partitioned_assets for key in a.check_keys)),
    description=(
        "Load export-date partitions of the six landing sources into raw, then update the "
        "staging views and incremental dbt models for those dates."
    ),
    executor_def=in_process_executor,
)

build_job = define_asset_job(
    "build_warehouse",
    selection=AssetSelection.assets(warehouse_dbt_assets, published_marts).without_checks()
    | AssetSelection.checks(*warehouse_dbt_assets.check_keys),
    description="dbt build (staging, intermediate, marts, every dbt test), then publish the marts.",
    executor_def=in_process_executor,
)

daily_ingest_schedule = build_schedule_from_partitioned_job(
    ingest_job,
    hour_of_day=1,
    description="Each day at 01:00 Asia/Shanghai, load the previous day's export partition.",
)


@run_status_sensor(
    run_status=DagsterRunStatus.SUCCESS,
    monitored_jobs=[ingest_job],
    request_job=build_job,
    description="After each successful ingestion run, rebuild the marts and publish them.",
)
def build_after_ingest(context: RunStatusSensorContext) -> RunRequest:
    return RunRequest(run_key=f"after-{context.dagster_run.run_id}")


def build_definitions(warehouse_path: Path | None = None, landing_root: Path | None = None):
    """Definitions for a warehouse file and a landing root (defaults: LCW_* env, then ./data)."""
    return Definitions(
        assets=[*partitioned_assets, warehouse_dbt_assets, published_marts],
        jobs=[ingest_job, build_job],
        schedules=[daily_ingest_schedule],
        sensors=[landing_partition_sensor, build_after_ingest],
        resources=build_resources(
            warehouse_path or default_warehouse_path(), landing_root or default_landing_root()
        ),
    )


defs = build_definitions()

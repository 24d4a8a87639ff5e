"""Everything Dagster sees, built by `build_definitions(settings)` when the code location loads.

Nothing in this package parses dbt, reads the manifest or reads the environment at import.
"""

from __future__ import annotations

import os

from dagster import Definitions

from orchestration.defs.automation import build_daily_schedule, build_landing_sensor
from orchestration.defs.dbt.assets import build_dbt_assets
from orchestration.defs.dbt.project import prepare_dbt_manifest
from orchestration.defs.ingestion import build_ingestion_assets
from orchestration.defs.jobs import build_update_job
from orchestration.defs.partitions import export_date_partitions
from orchestration.defs.publish import build_published_asset, mart_keys
from orchestration.defs.resources import build_resources
from orchestration.settings import Settings


def build_definitions(settings: Settings) -> Definitions:
    """The assets, jobs, schedule, sensors and resources for runs against `settings`."""
    if os.environ.get("DAGSTER_IS_DEV_CLI"):
        # Under `dagster dev` the UI always shows the current dbt graph; elsewhere the manifest
        # is prepared explicitly (`lcw prepare`, `lcw run`, the tests).
        prepare_dbt_manifest(settings)
    partitions = export_date_partitions(settings.first_export_date)
    # The ingestion assets are partitioned by export date; a run over a window of dates is one
    # run of one job, with one dbt invocation that takes the window from the run's tags.
    ingestion = build_ingestion_assets(partitions)
    dbt = build_dbt_assets(settings)
    published = build_published_asset(mart_keys([dbt]))
    assets = [*ingestion, dbt, published]
    update_job = build_update_job(assets)
    return Definitions(
        assets=assets,
        jobs=[update_job],
        schedules=[build_daily_schedule(update_job)],
        sensors=[build_landing_sensor(update_job, partitions)],
        resources=build_resources(settings),
    )

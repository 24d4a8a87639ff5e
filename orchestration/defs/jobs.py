"""The two jobs: ingest a window of export dates (then its partitioned dbt models), and build
the rest of the warehouse and publish it. Both run their steps in one process: DuckDB has one
writer, so step processes would only add start-up time."""

from __future__ import annotations

from collections.abc import Sequence

from dagster import AssetsDefinition, AssetSelection, define_asset_job, in_process_executor

INGEST_JOB = "ingest_landing"
BUILD_JOB = "build_warehouse"


def _assets_with_their_checks(assets: Sequence[AssetsDefinition]) -> AssetSelection:
    """The assets and exactly their own checks: dbt source tests are checks on the ingestion
    assets that run inside `dbt build`, so each job selects the checks of its own definitions."""
    return AssetSelection.assets(*assets).without_checks() | AssetSelection.checks(
        *(key for a in assets for key in a.check_keys)
    )


def build_ingest_job(partitioned_assets: Sequence[AssetsDefinition]):
    return define_asset_job(
        INGEST_JOB,
        selection=_assets_with_their_checks(partitioned_assets),
        description=(
            "Load export-date partitions of the six landing sources into raw, then update the "
            "staging views and incremental dbt models for those dates."
        ),
        executor_def=in_process_executor,
    )


def build_build_job(dbt_assets: AssetsDefinition, published: AssetsDefinition):
    return define_asset_job(
        BUILD_JOB,
        selection=AssetSelection.assets(dbt_assets, published).without_checks()
        | AssetSelection.checks(*dbt_assets.check_keys),
        description="dbt build (staging, intermediate, marts, every dbt test), then publish.",
        executor_def=in_process_executor,
    )

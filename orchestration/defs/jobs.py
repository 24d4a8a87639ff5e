"""The one job: for a window of export dates, ingest the landing partitions, run one `dbt build`
(incremental models updated with the window, every other model rebuilt from them, every dbt
test), then publish the marts. Its steps run in one process: DuckDB has one writer, so step
processes would only add start-up time.

There is no separate "rebuild the marts and publish" job. A run over export dates whose landing
files are unchanged skips their ingestion (fingerprints) and is exactly that rebuild; with
`full_refresh` it is the periodic reset from raw.
"""

from __future__ import annotations

from collections.abc import Sequence

from dagster import AssetsDefinition, AssetSelection, define_asset_job, in_process_executor

UPDATE_JOB = "update_warehouse"


def build_update_job(assets: Sequence[AssetsDefinition]):
    """The assets (ingestion, dbt, published) with all their checks, the dbt source tests
    included: those are checks on the ingestion assets that `dbt build` evaluates."""
    return define_asset_job(
        UPDATE_JOB,
        selection=AssetSelection.assets(*assets),
        description=(
            "For a window of export dates: load the six landing sources into raw (a blocking "
            "reject-ratio check stops the run before dbt), then one dbt build (the incremental "
            "models updated with those dates, every other model rebuilt from them, every dbt "
            "test), then publish the marts for BI. A run over unchanged dates with config "
            "`ops: {warehouse_dbt: {config: {full_refresh: true}}}` rebuilds everything from raw."
        ),
        executor_def=in_process_executor,
    )

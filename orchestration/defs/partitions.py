"""Export-date partitions: one per landing `dt=` folder date, up to yesterday (Asia/Shanghai)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from dagster import (
    AssetExecutionContext,
    BackfillPolicy,
    DailyPartitionsDefinition,
    PartitionsDefinition,
)

from orchestration.landing.contract import REPORTING_TIME_ZONE
from orchestration.settings import WAREHOUSE_POOL

# Dagster's tags for one run over a range of partitions (a single-run backfill).
PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"


def partition_range_tags(first: str, last: str) -> dict[str, str]:
    """The tags that make one run of a partitioned job cover the export dates first..last."""
    return {PARTITION_RANGE_START_TAG: first, PARTITION_RANGE_END_TAG: last}


def export_date_partitions(first_export_date: date) -> DailyPartitionsDefinition:
    """Daily partitions from the first export date to yesterday: today's export is not complete
    yet, and the daily schedule loads the last complete partition."""
    return DailyPartitionsDefinition(
        start_date=first_export_date.isoformat(), timezone=REPORTING_TIME_ZONE
    )


def one_run_per_window(partitions: PartitionsDefinition) -> dict[str, Any]:
    """The asset arguments of a warehouse writer: partitioned by export date, a window of export
    dates is one run however many dates it holds (a single-run backfill), in the single-writer
    pool."""
    return {
        "partitions_def": partitions,
        "backfill_policy": BackfillPolicy.single_run(),
        "pool": WAREHOUSE_POOL,
    }


def export_dates_of(context: AssetExecutionContext) -> tuple[date, date]:
    """The inclusive export dates of the run's partition window (a time window's end is open)."""
    window = context.partition_time_window
    return window.start.date(), (window.end - timedelta(days=1)).date()

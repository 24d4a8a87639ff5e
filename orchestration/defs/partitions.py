"""Export-date partitions: one per landing `dt=` folder date, up to yesterday (Asia/Shanghai).

Only the ingestion assets are partitioned. The dbt assets and the published copy are not: Dagster
records a planned and a materialisation event for every asset and partition of a run, so a
backfill of 546 dates over 53 partitioned dbt models and seeds spent minutes writing events before
loading a row. They take the run's export dates from its tags instead (`run_export_dates`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from dagster import DailyPartitionsDefinition

from orchestration.landing.contract import REPORTING_TIME_ZONE

# Dagster's tags for one run over a range of partitions (a single-run backfill).
PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"
PARTITION_TAG = "dagster/partition"


def partition_range_tags(first: str, last: str) -> dict[str, str]:
    """The tags that make one run of a partitioned job cover the export dates first..last."""
    return {PARTITION_RANGE_START_TAG: first, PARTITION_RANGE_END_TAG: last}


def export_date_partitions(first_export_date: date) -> DailyPartitionsDefinition:
    """Daily partitions from the first export date to yesterday: today's export is not complete
    yet, and the daily schedule loads the last complete partition."""
    return DailyPartitionsDefinition(
        start_date=first_export_date.isoformat(), timezone=REPORTING_TIME_ZONE
    )


def run_export_dates(tags: Mapping[str, str]) -> tuple[date, date] | None:
    """The inclusive export dates a run covers, from its tags: a range of partitions (`lcw run`,
    the landing sensor, a single-run backfill) or one partition (the daily schedule). None for
    a run without partitions (a person materialising the dbt assets alone)."""
    if PARTITION_RANGE_START_TAG in tags and PARTITION_RANGE_END_TAG in tags:
        first, last = tags[PARTITION_RANGE_START_TAG], tags[PARTITION_RANGE_END_TAG]
        return date.fromisoformat(first), date.fromisoformat(last)
    if PARTITION_TAG in tags:
        return date.fromisoformat(tags[PARTITION_TAG]), date.fromisoformat(tags[PARTITION_TAG])
    return None

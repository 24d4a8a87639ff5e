"""The six ingestion assets: landing files of one export date → `raw.<source>` in DuckDB (and,
for the spark engine, the same partition as Parquet in the lake: `RawLake`).

Each asset is partitioned by export date (`dt`). A run over a range of dates is one run
(single-run backfill policy): the partitions whose files changed since their last load are read
together (`landing.loader.load_partitions`) and replaced in date order.
"""

import warnings
from datetime import date

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    BetaWarning,
    MaterializeResult,
    MetadataValue,
    PartitionsDefinition,
    asset,
)
from dagster_duckdb import DuckDBResource

from orchestration.defs.progress import progress_log
from orchestration.defs.resources import LandingZone, RawLake
from orchestration.landing.contract import SOURCES
from orchestration.landing.fingerprints import (
    loaded_fingerprints,
    partition_fingerprint,
    previous_load,
    record_fingerprints,
)
from orchestration.landing.lake import export_partition, exported_fingerprint
from orchestration.landing.loader import load_partitions
from orchestration.landing.raw_tables import LoadResult, trailing_averages_loaded
from orchestration.settings import WAREHOUSE_POOL

REJECT_RATIO_CHECK = "reject_ratio_within_threshold"
ROW_COUNT_CHECK = "row_count_not_dropped"
# A partition loading fewer rows than this share of its trailing week's average is suspicious,
# once that average is large enough for a drop to mean something (sparse sources vary a lot).
# Enforcement actions and trust-card events come in bursts by nature (a gang sweep, a wave of
# enablements), so a quiet day after one says nothing: they are held to a lower bar.
ROW_COUNT_DROP_RATIO = {
    "orders": 0.5,
    "follows": 0.5,
    "livestream_sessions": 0.5,
    "streamers": 0.5,
    "trust_card_events": 0.1,
    "enforcement_actions": 0.1,
}
ROW_COUNT_MIN_BASELINE = 10


def ingestion_asset_key(source_name: str) -> AssetKey:
    return AssetKey(["raw", source_name])


def summarize_loads(loads: list[LoadResult]) -> dict[str, int]:
    """Totals over the partitions of one run; read = loaded + rejected holds for each load."""
    return {
        "partitions": len(loads),
        "files": sum(r.files for r in loads),
        "rows_read": sum(r.rows_read for r in loads),
        "rows_loaded": sum(r.rows_loaded for r in loads),
        "rows_rejected": sum(r.rows_rejected for r in loads),
    }


def build_ingestion_asset(source_name: str, partitions: PartitionsDefinition) -> AssetsDefinition:
    key = ingestion_asset_key(source_name)
    drop_ratio = ROW_COUNT_DROP_RATIO[source_name]
    # A single-run backfill policy is what lets one run load a whole range of export dates.
    warnings.filterwarnings("ignore", category=BetaWarning, message=".*backfill_policy.*")

    @asset(
        key=key,
        partitions_def=partitions,
        backfill_policy=BackfillPolicy.single_run(),
        pool=WAREHOUSE_POOL,
        group_name="ingestion",
        kinds={"duckdb"},
        description=(
            f"Landing files of `{source_name}` for an export date, validated against the landing "
            f"contract and loaded into `raw.{source_name}`; rejected rows go to "
            "`raw.rejected_rows` with file, row and reason."
        ),
        check_specs=[
            AssetCheckSpec(
                REJECT_RATIO_CHECK,
                asset=key,
                description=(
                    "Each partition's share of rejected rows stays within "
                    "LandingZone.max_reject_ratio. Blocking: the dbt models downstream do not "
                    "run on a partition that failed it."
                ),
                blocking=True,
            ),
            AssetCheckSpec(
                ROW_COUNT_CHECK,
                asset=key,
                description=(
                    f"Warns when a partition loads less than {drop_ratio:.0%}"
                    " of the daily average of the week before."
                ),
            ),
        ],
    )
    def ingest(
        context: AssetExecutionContext,
        warehouse: DuckDBResource,
        landing: LandingZone,
        lake: RawLake,
    ) -> MaterializeResult:
        loads: list[LoadResult] = []
        dropped: dict[str, str] = {}
        dates = [date.fromisoformat(key) for key in context.partition_keys]
        with warehouse.get_connection() as conn:
            loaded = loaded_fingerprints(conn, source_name, dates[0], dates[-1])
            fingerprints = {
                dt: partition_fingerprint(landing.path, source_name, dt) for dt in dates
            }
            # A partition whose files are exactly as when it was last loaded is not read again:
            # its counts are the audited ones.
            previous = {
                dt: loaded.get(dt) == fingerprints[dt] and previous_load(conn, source_name, dt)
                for dt in dates
            }
            changed = [dt for dt in dates if not previous[dt]]

            def report(results: list[LoadResult]) -> None:
                progress_log.info(
                    f"{source_name}: {len(results)}/{len(changed)} export dates "
                    f"(to {results[-1].partition_dt}), "
                    f"{sum(r.rows_loaded for r in results):,} rows loaded"
                )

            fresh = {
                result.partition_dt: result
                for result in load_partitions(conn, landing.path, source_name, changed, report)
            }
            record_fingerprints(conn, source_name, {dt: fingerprints[dt] for dt in changed})
            baselines = trailing_averages_loaded(conn, source_name, dates)
            for dt in dates:
                result = fresh.get(dt) or previous[dt]
                # The spark engine reads raw from the lake: export what was loaded, and an
                # unchanged partition whose copy in the lake came from other files: none yet
                # (the first spark run), or older ones (a duckdb-engine run reloaded it since).
                if lake.raw_path is not None and (
                    dt in fresh
                    or exported_fingerprint(lake.raw_path, source_name, dt) != fingerprints[dt]
                ):
                    export_partition(conn, lake.raw_path, source_name, dt, fingerprints[dt])
                loads.append(result)
                baseline = baselines[dt]
                if (
                    baseline is not None
                    and baseline >= ROW_COUNT_MIN_BASELINE
                    and result.rows_loaded < drop_ratio * baseline
                ):
                    dropped[dt.isoformat()] = f"{result.rows_loaded} rows vs {baseline:.0f} a day"
                for path in result.empty_files:
                    context.log.warning(f"{source_name} dt={dt}: {path} is empty")
                for path in result.truncated_files:
                    context.log.warning(f"{source_name} dt={dt}: {path} is truncated")
                # A line per date only where rows were rejected: each log line is an event
                # Dagster stores, and a year's backfill would write 365 of them per source.
                if result.rows_rejected and dt in fresh:
                    context.log.info(
                        f"{source_name} dt={dt}: read {result.rows_read}, loaded "
                        f"{result.rows_loaded}, rejected {result.rows_rejected} "
                        f"{result.reject_reasons}"
                    )
        unchanged = len(dates) - len(changed)
        if changed:
            read = summarize_loads([fresh[dt] for dt in changed])
            context.log.info(
                f"{source_name}: {len(changed)} export dates loaded ({changed[0]} .. "
                f"{changed[-1]}): read {read['rows_read']}, loaded {read['rows_loaded']}, "
                f"rejected {read['rows_rejected']}; {unchanged} unchanged since their last load"
            )
        without_files = [r.partition_dt.isoformat() for r in loads if not r.files]
        if without_files:
            context.log.warning(
                f"{source_name}: no landing files for {len(without_files)} of {len(loads)} "
                f"export dates ({without_files[0]} .. {without_files[-1]}) under {landing.path}"
            )
        totals = summarize_loads(loads)
        reject_ratio = totals["rows_rejected"] / totals["rows_read"] if totals["rows_read"] else 0.0
        # Judged per partition, so one bad day is not diluted by a long range of good ones.
        over_threshold = {
            r.partition_dt.isoformat(): round(r.rows_rejected / r.rows_read, 4)
            for r in loads
            if r.rows_read and r.rows_rejected / r.rows_read > landing.max_reject_ratio
        }
        reasons: dict[str, int] = {}
        for result in loads:
            for reason, count in result.reject_reasons.items():
                reasons[reason] = reasons.get(reason, 0) + count
        return MaterializeResult(
            metadata={
                **totals,
                "partitions_without_files": len(without_files),
                "partitions_unchanged": unchanged,
                "dates_without_files": MetadataValue.json(without_files[:100]),
                "reject_ratio": reject_ratio,
                "reject_reasons": MetadataValue.json(reasons),
                # Files that held nothing, or ended early (their recovered rows are counted).
                "empty_files": MetadataValue.json([f for r in loads for f in r.empty_files]),
                "truncated_files": MetadataValue.json(
                    [f for r in loads for f in r.truncated_files]
                ),
            },
            check_results=[
                AssetCheckResult(
                    check_name=REJECT_RATIO_CHECK,
                    passed=not over_threshold,
                    severity=AssetCheckSeverity.ERROR,
                    metadata={
                        "reject_ratio": reject_ratio,
                        "max_reject_ratio": landing.max_reject_ratio,
                        "rows_rejected": totals["rows_rejected"],
                        "partitions_over_threshold": MetadataValue.json(over_threshold),
                    },
                ),
                AssetCheckResult(
                    check_name=ROW_COUNT_CHECK,
                    passed=not dropped,
                    severity=AssetCheckSeverity.WARN,
                    metadata={"dropped_partitions": MetadataValue.json(dropped)},
                ),
            ],
        )

    return ingest


def build_ingestion_assets(partitions: PartitionsDefinition) -> list[AssetsDefinition]:
    return [build_ingestion_asset(name, partitions) for name in SOURCES]

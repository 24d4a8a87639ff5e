"""The published copy as a Dagster asset (the copying itself is orchestration.warehouse.publish)."""

from collections.abc import Sequence
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    PartitionsDefinition,
    asset,
)
from dagster_duckdb import DuckDBResource

from orchestration.defs.dbt.project import dbt_project
from orchestration.defs.partitions import one_run_per_window
from orchestration.defs.resources import PublishedMarts
from orchestration.warehouse.publish import PUBLISHED_SCHEMA, publish_marts
from orchestration.warehouse.spark_marts import publish_spark_marts

PUBLISHED_KEY = AssetKey(["published", "marts"])


def mart_keys(dbt_assets: Sequence[AssetsDefinition]) -> list[AssetKey]:
    """Every dbt model in the marts schema, from the dbt assets (so from the manifest)."""
    keys = {key for assets in dbt_assets for key in assets.keys if key.path[0] == PUBLISHED_SCHEMA}
    return sorted(keys, key=lambda key: key.to_user_string())


def build_published_asset(
    marts: list[AssetKey], partitions: PartitionsDefinition
) -> AssetsDefinition:
    """Partitioned like the dbt assets it copies, so it is the last step of the same run."""
    mart_names = [key.path[-1] for key in marts]

    @asset(
        key=PUBLISHED_KEY,
        deps=marts,
        **one_run_per_window(partitions),
        group_name="published",
        kinds={"duckdb"},
        description=(
            "A read-only copy of the marts schema for BI users (no raw or personal data). "
            "Partitioned by export date: a partition is materialised when the copy is published "
            "by the run that loaded that export date; each copy holds every date loaded so far."
        ),
    )
    def published_marts(
        context: AssetExecutionContext, warehouse: DuckDBResource, published: PublishedMarts
    ) -> MaterializeResult:
        if published.spark_lake is None:
            with warehouse.get_connection() as conn:
                rows = publish_marts(conn, published.path)
        else:  # the spark engine: the marts it built, from the lake
            rows = publish_spark_marts(
                published.spark_lake,
                mart_names,
                published.path,
                published.duckdb_config,
                manifest_path=dbt_project.manifest_path,
                warehouse_path=Path(warehouse.database),
            )
        context.log.info(f"published {len(rows)} marts to {published.path}")
        metadata: dict[str, object] = {"path": str(published.path), "tables": len(rows)}
        metadata.update({f"rows.{table}": count for table, count in rows.items()})
        return MaterializeResult(metadata=metadata)

    return published_marts

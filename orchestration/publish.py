"""The published copy as a Dagster asset (the copying itself is orchestration.warehouse.publish)."""

from dagster import AssetExecutionContext, MaterializeResult, asset
from dagster_duckdb import DuckDBResource

from orchestration.dbt_assets import warehouse_dbt_assets, warehouse_dbt_partitioned_assets
from orchestration.resources import PublishedMarts
from orchestration.settings import WAREHOUSE_POOL
from orchestration.warehouse.publish import PUBLISHED_SCHEMA, publish_marts

# Every dbt model in the marts schema, straight from the dbt manifest.
MART_KEYS = sorted(
    (
        key
        for assets in (warehouse_dbt_assets, warehouse_dbt_partitioned_assets)
        for key in assets.keys
        if key.path[0] == PUBLISHED_SCHEMA
    ),
    key=lambda key: key.to_user_string(),
)


@asset(
    key=["published", "marts"],
    deps=MART_KEYS,
    pool=WAREHOUSE_POOL,
    group_name="published",
    kinds={"duckdb"},
    description="A read-only copy of the marts schema for BI users (no raw or personal data).",
)
def published_marts(
    context: AssetExecutionContext, warehouse: DuckDBResource, published: PublishedMarts
) -> MaterializeResult:
    with warehouse.get_connection() as conn:
        rows = publish_marts(conn, published.path)
    context.log.info(f"published {len(rows)} marts to {published.path}")
    metadata: dict[str, object] = {"path": str(published.path), "tables": len(rows)}
    metadata.update({f"rows.{table}": count for table, count in rows.items()})
    return MaterializeResult(metadata=metadata)

"""The published copy as a Dagster asset (the copying itself is orchestration.warehouse.publish)."""

from collections.abc import Sequence
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    asset,
)
from dagster_duckdb import DuckDBResource
from duckdb import DuckDBPyConnection

from orchestration.defs.dbt.project import dbt_project
from orchestration.defs.resources import PublishedMarts
from orchestration.settings import WAREHOUSE_POOL
from orchestration.warehouse.build_log import recent_builds
from orchestration.warehouse.publish import (
    INCREMENTAL_PATCHES,
    PUBLISHED_SCHEMA,
    build_stamp_path,
    publish_marts_patching,
)
from orchestration.warehouse.spark_marts import publish_spark_marts

PUBLISHED_KEY = AssetKey(["published", "marts"])


def mart_keys(dbt_assets: Sequence[AssetsDefinition]) -> list[AssetKey]:
    """Every dbt model in the marts schema, from the dbt assets (so from the manifest)."""
    keys = {key for assets in dbt_assets for key in assets.keys if key.path[0] == PUBLISHED_SCHEMA}
    return sorted(keys, key=lambda key: key.to_user_string())


def publish_duckdb_marts(
    conn: DuckDBPyConnection, path: Path
) -> tuple[dict[str, int], dict[str, str]]:
    """Publish, patching the marts as large as the history (INCREMENTAL_PATCHES) when the
    previous copy holds the build just before this one and this one was incremental; otherwise
    copy every mart. Returns the row counts and, for each of those marts, how the copy got it
    ("patched" or "copied in full"). The copy is stamped with the build it holds (a stamp is
    removed first, so a crash leaves none and the next one copies)."""
    builds = recent_builds(conn)
    stamp = build_stamp_path(path)
    held = stamp.read_text(encoding="utf-8").strip() if stamp.exists() else None
    follows_held = len(builds) == 2 and builds[1][0].isoformat() == held
    patches = INCREMENTAL_PATCHES if follows_held and not builds[0][1] else ()
    stamp.unlink(missing_ok=True)
    rows, patched = publish_marts_patching(conn, path, patches)
    if builds:
        stamp.write_text(builds[0][0].isoformat(), encoding="utf-8")
    how = {
        patch.table: "patched" if patch.table in patched else "copied in full"
        for patch in INCREMENTAL_PATCHES
    }
    return rows, how


def build_published_asset(marts: list[AssetKey]) -> AssetsDefinition:
    """The copy of the marts, the last step of the run that built them."""
    mart_names = [key.path[-1] for key in marts]

    @asset(
        key=PUBLISHED_KEY,
        deps=marts,
        pool=WAREHOUSE_POOL,
        group_name="published",
        kinds={"duckdb"},
        description=(
            "A read-only copy of the marts schema for BI users (no raw or personal data), "
            "published at the end of every run; each copy holds every date loaded so far."
        ),
    )
    def published_marts(
        context: AssetExecutionContext, warehouse: DuckDBResource, published: PublishedMarts
    ) -> MaterializeResult:
        how: dict[str, str] = {}  # how the copy got each large mart: patched, or copied in full
        if published.spark_lake is None:
            with warehouse.get_connection() as conn:
                rows, how = publish_duckdb_marts(conn, published.path)
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
        metadata.update(how)
        return MaterializeResult(metadata=metadata)

    return published_marts

"""The dbt project as Dagster assets: models and seeds as assets, dbt tests as asset checks."""

import json
import os
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetSpec, BackfillPolicy, BetaWarning
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from dagster_duckdb import DuckDBResource

from orchestration.ingestion_assets import export_date_partitions, ingestion_asset_key
from orchestration.project import dbt_project, dbt_vars, prepare_dbt_manifest
from orchestration.settings import WAREHOUSE_POOL

# Under `dagster dev` this parses the project so the UI always shows the current graph; elsewhere
# the manifest is prepared explicitly (`lcw prepare`, which `lcw run` and the tests call).
if os.environ.get("DAGSTER_IS_DEV_CLI"):
    prepare_dbt_manifest()
warnings.filterwarnings("ignore", category=BetaWarning, message=".*backfill_policy.*")


class WarehouseDbtTranslator(DagsterDbtTranslator):
    """dbt sources are the ingestion assets (`raw/<source>`); models are keyed by schema."""

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            return spec.replace_attributes(key=ingestion_asset_key(props["name"]))
        layer = props["config"].get("schema") or "main"
        return spec.replace_attributes(key=AssetKey([layer, props["name"]]), group_name=layer)


translator = WarehouseDbtTranslator(
    settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True)
)


# Staging views and the incremental models carry the dbt tag `partitioned`: they run per
# export-date window, right after ingestion. Everything else is rebuilt from them unpartitioned.
PARTITIONED_SELECTION = "tag:partitioned"


def dbt_build_args(warehouse_path: str) -> list[str]:
    """`dbt build` against the warehouse file the DuckDB resource points at, with the same vars
    the manifest was parsed with (so dbt parses partially)."""
    return ["build", "--vars", json.dumps(dbt_vars(Path(warehouse_path)))]


EXPORT_WINDOW_ENV = ("LCW_EXPORT_DATE_FROM", "LCW_EXPORT_DATE_TO")


@contextmanager
def export_window_env(export_dates: tuple[date, date]) -> Iterator[None]:
    """Environment variables that tell the incremental models which export dates (inclusive)
    to process (macro `in_export_window`), set for the dbt process started inside the block."""
    previous = {name: os.environ.get(name) for name in EXPORT_WINDOW_ENV}
    os.environ.update(zip(EXPORT_WINDOW_ENV, (d.isoformat() for d in export_dates), strict=True))
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def export_dates_of(context: AssetExecutionContext) -> tuple[date, date]:
    """The inclusive export dates of the run's partition window (end of a time window is open)."""
    window = context.partition_time_window
    return window.start.date(), (window.end - timedelta(days=1)).date()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=PARTITIONED_SELECTION,
    dagster_dbt_translator=translator,
    partitions_def=export_date_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    pool=WAREHOUSE_POOL,
    name="warehouse_dbt_partitioned",
)
def warehouse_dbt_partitioned_assets(
    context: AssetExecutionContext, dbt: DbtCliResource, warehouse: DuckDBResource
) -> Iterator[Any]:
    with export_window_env(export_dates_of(context)):
        invocation = dbt.cli(dbt_build_args(warehouse.database), context=context)
    yield from invocation.stream()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    exclude=PARTITIONED_SELECTION,
    dagster_dbt_translator=translator,
    pool=WAREHOUSE_POOL,
    name="warehouse_dbt",
)
def warehouse_dbt_assets(
    context: AssetExecutionContext, dbt: DbtCliResource, warehouse: DuckDBResource
) -> Iterator[Any]:
    yield from dbt.cli(dbt_build_args(warehouse.database), context=context).stream()

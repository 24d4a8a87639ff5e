"""The dbt project as Dagster assets: models and seeds as assets, dbt tests as asset checks."""

import json
from collections.abc import Iterator, Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetSpec
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from dagster_duckdb import DuckDBResource

from orchestration.ingestion_assets import ingestion_asset_key
from orchestration.project import dbt_project
from orchestration.settings import WAREHOUSE_POOL

# Under `dagster dev` this parses the project so the UI always shows the current graph; elsewhere
# the manifest is prepared explicitly (`lcw prepare`, which `lcw run` and the tests call).
dbt_project.prepare_if_dev()


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


def dbt_build_args(warehouse_path: str) -> list[str]:
    """`dbt build` against the warehouse file the DuckDB resource points at."""
    return ["build", "--vars", json.dumps({"warehouse_path": warehouse_path})]


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    pool=WAREHOUSE_POOL,
)
def warehouse_dbt_assets(
    context: AssetExecutionContext, dbt: DbtCliResource, warehouse: DuckDBResource
) -> Iterator[Any]:
    yield from dbt.cli(dbt_build_args(warehouse.database), context=context).stream()

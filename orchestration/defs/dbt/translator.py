"""How dbt resources map to Dagster asset keys: sources are the ingestion assets, models are
keyed by schema (`staging/…`, `intermediate/…`, `marts/…`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import AssetKey, AssetSpec
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

from orchestration.defs.ingestion import ingestion_asset_key


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


def warehouse_translator() -> WarehouseDbtTranslator:
    return WarehouseDbtTranslator(
        settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True)
    )

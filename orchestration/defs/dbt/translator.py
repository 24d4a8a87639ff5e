"""How dbt resources map to Dagster asset keys: sources are the ingestion assets, models are
keyed by schema (`staging/…`, `intermediate/…`, `marts/…`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import AssetKey, AssetSpec
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

from orchestration.defs.ingestion import ingestion_asset_key

# What a dbt asset's export-date partition means, by how the model is materialised.
INCREMENTAL_PARTITION = (
    "Partitioned by export date: a partition is materialised when this incremental model is "
    "updated with that export date (only the keys the date touches are recomputed)."
)
REBUILT_PARTITION = (
    "Partitioned by export date: a partition is materialised when this is rebuilt in full, from "
    "the incremental state, in the run that loaded that export date."
)

# dagster-dbt's default description is dbt's, then this heading and the model's SQL.
RAW_SQL_HEADING = "#### Raw SQL:"


def partition_meaning(props: Mapping[str, Any]) -> str:
    incremental = props["config"].get("materialized") == "incremental"
    return INCREMENTAL_PARTITION if incremental else REBUILT_PARTITION


class WarehouseDbtTranslator(DagsterDbtTranslator):
    """dbt sources are the ingestion assets (`raw/<source>`); models are keyed by schema, and
    their descriptions say what an export-date partition of them means."""

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            return spec.replace_attributes(key=ingestion_asset_key(props["name"]))
        layer = props["config"].get("schema") or "main"
        # After dbt's description, before the model's SQL that dagster-dbt appends to it.
        text, raw_sql_heading, sql = (spec.description or "").partition(RAW_SQL_HEADING)
        description = "\n\n".join(
            filter(None, [text.strip(), partition_meaning(props), raw_sql_heading + sql])
        )
        return spec.replace_attributes(
            key=AssetKey([layer, props["name"]]), group_name=layer, description=description
        )


def warehouse_translator() -> WarehouseDbtTranslator:
    return WarehouseDbtTranslator(
        settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True)
    )

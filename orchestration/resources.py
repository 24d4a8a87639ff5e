"""Dagster resources: the landing zone, and how the warehouse and dbt are reached."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from orchestration.project import dbt_project
from orchestration.settings import duckdb_config


class LandingZone(ConfigurableResource):
    """The landing root (`<root>/<source>/dt=YYYY-MM-DD/*`) and its ingestion quality bar."""

    root: str
    # An ingestion asset check fails when more than this share of a load's rows is rejected.
    max_reject_ratio: float = 0.01

    @property
    def path(self) -> Path:
        return Path(self.root)


class PublishedMarts(ConfigurableResource):
    """Where the read-only copy of the marts for BI users is published."""

    root: str

    @property
    def path(self) -> Path:
        return Path(self.root)


def published_path_for(warehouse_path: Path) -> Path:
    """BI reads `published/live_commerce.duckdb` beside the warehouse file, never the warehouse.

    The file is not called marts.duckdb: DuckDB names the catalog after the file, and a catalog
    `marts` would make `marts.<table>` ambiguous with the schema `marts`."""
    return warehouse_path.parent / "published" / "live_commerce.duckdb"


def build_resources(warehouse_path: Path, landing_root: Path) -> dict[str, object]:
    """The resources every code path (UI, schedule, CLI, tests) runs with."""
    return {
        "warehouse": DuckDBResource(
            database=str(warehouse_path), connection_config=duckdb_config(warehouse_path)
        ),
        "landing": LandingZone(root=str(landing_root)),
        "published": PublishedMarts(root=str(published_path_for(warehouse_path))),
        "dbt": DbtCliResource(project_dir=dbt_project),
    }

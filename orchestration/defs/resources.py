"""Dagster resources, all built from one `Settings` value."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import ConfigurableResource
from dagster_duckdb import DuckDBResource

from orchestration.defs.dbt.project import dbt_project
from orchestration.defs.dbt.resource import WarehouseDbt
from orchestration.settings import Settings
from orchestration.warehouse.connection import set_after_open


class WarehouseDuckDB(DuckDBResource):
    """Dagster's DuckDB resource, with the options DuckDB enforces only when SET on an open
    database (the spill cap) SET on every connection (orchestration/warehouse/connection.py)."""

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with super().get_connection() as conn:
            set_after_open(conn, self.connection_config)
            yield conn


class LandingZone(ConfigurableResource):
    """The landing root (`<root>/<source>/dt=YYYY-MM-DD/*`) and its ingestion quality bar."""

    root: str
    # An ingestion asset check fails when more than this share of a partition's rows is rejected.
    max_reject_ratio: float = 0.01

    @property
    def path(self) -> Path:
        return Path(self.root)


class PublishedMarts(ConfigurableResource):
    """Where the read-only copy of the marts for BI users is published, and, for the spark
    engine, the lake its marts are read from (empty: the duckdb engine's warehouse)."""

    root: str
    lake_root: str = ""
    duckdb_config: dict[str, str] = {}

    @property
    def path(self) -> Path:
        return Path(self.root)

    @property
    def spark_lake(self) -> Path | None:
        return Path(self.lake_root) if self.lake_root else None


class RawLake(ConfigurableResource):
    """Where ingestion also writes the raw layer as Parquet for the spark engine (`<root>/raw`);
    an empty root (the duckdb engine) writes nothing."""

    root: str = ""

    @property
    def raw_path(self) -> Path | None:
        return Path(self.root) / "raw" if self.root else None


def build_resources(settings: Settings) -> dict[str, object]:
    """The resources every code path (UI, schedule, CLI, tests) runs with; the engine changes
    only their configuration (the lake, the dbt target), never the assets."""
    lake = settings.lake_directory if settings.engine == "spark" else None
    return {
        "warehouse": WarehouseDuckDB(
            database=str(settings.warehouse_path), connection_config=settings.duckdb_config()
        ),
        "landing": LandingZone(root=str(settings.landing_root)),
        "published": PublishedMarts(
            root=str(settings.published_path),
            lake_root=str(lake) if lake else "",
            duckdb_config=settings.duckdb_config(),
        ),
        "lake": RawLake(root=str(lake) if lake else ""),
        "dbt": WarehouseDbt(project_dir=dbt_project, target=settings.dbt_target),
    }

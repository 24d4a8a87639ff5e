"""The dbt assets, built by a factory when the definitions load (never at import): the manifest
must exist by then (`prepare_dbt_manifest`).

Every dbt model, seed and test is in one `@dbt_assets` definition, so a run over a window of
export dates is one `dbt build`. The assets are not partitioned (see defs/partitions.py): the
window is the export dates of the run (its partition tags, or the config), and reaches the
incremental models in the environment (`export_window_env`): they update the keys the window
touches. Everything else is rebuilt in full from that state in the same invocation. Without a
window (the dbt assets materialised alone) the incremental models process every loaded date.
"""

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetMaterialization,
    AssetsDefinition,
    Config,
    Output,
)
from dagster_dbt import DbtCliResource, dbt_assets
from dagster_duckdb import DuckDBResource
from pydantic import Field

from orchestration.defs.dbt.project import dbt_project
from orchestration.defs.dbt.translator import warehouse_translator
from orchestration.defs.partitions import run_export_dates
from orchestration.defs.progress import is_milestone, progress_log
from orchestration.settings import WAREHOUSE_POOL, Settings, environment_set
from orchestration.warehouse.build_log import build_started_at, build_window, record_build

# The op (and step) that runs `dbt build`; its run config is `DbtBuildConfig`.
DBT_ASSETS_NAME = "warehouse_dbt"
EXPORT_WINDOW_ENV = ("LCW_EXPORT_DATE_FROM", "LCW_EXPORT_DATE_TO")


def dbt_build_args(settings: Settings) -> list[str]:
    """`dbt build` with the vars the manifest was parsed with (so dbt parses partially). The
    unit tests are left out: they test the models' logic on fixed inputs, not the data, so they
    run where the logic changes (the sample build of CI and development), as dbt recommends."""
    return [
        "build",
        "--vars",
        json.dumps(settings.dbt_vars()),
        "--exclude-resource-type",
        "unit_test",
    ]


@contextmanager
def export_window_env(export_dates: tuple[date, date] | None) -> Iterator[None]:
    """Environment variables that tell the incremental models which export dates (inclusive)
    to process (macro `in_export_window`), set for the dbt process started inside the block;
    None unsets them (every date is processed)."""
    dates = (None, None) if export_dates is None else (d.isoformat() for d in export_dates)
    with environment_set(dict(zip(EXPORT_WINDOW_ENV, dates, strict=True))):
        yield


def with_progress(events: Iterator[Any], models: int) -> Iterator[Any]:
    """dbt's events, passed through, with a progress line at about every tenth model built."""
    built = 0
    for event in events:
        if isinstance(event, Output | AssetMaterialization):
            built += 1
            if is_milestone(built, models):
                name = event.output_name if isinstance(event, Output) else event.asset_key.path[-1]
                progress_log.info(f"dbt: {built}/{models} models and seeds built ({name})")
        yield event


class DbtBuildConfig(Config):
    """Run config of the dbt assets (op `warehouse_dbt`)."""

    first_export_date: str | None = Field(
        default=None,
        description=(
            "First export date (YYYY-MM-DD) whose loads the incremental models process; by "
            "default the run's partitions, or every loaded date when the run has none."
        ),
    )
    last_export_date: str | None = Field(
        default=None, description="Last export date (inclusive); see first_export_date."
    )
    full_refresh: bool = Field(
        default=False,
        description=(
            "Rebuild every incremental model from raw (dbt --full-refresh): the periodic reset, "
            "and the step after a change to an incremental model's columns."
        ),
    )

    def export_dates(self, tags: Mapping[str, str]) -> tuple[date, date] | None:
        """The window: this config's dates, else the run's partitions, else none."""
        if self.first_export_date or self.last_export_date:
            first = date.fromisoformat(self.first_export_date or self.last_export_date or "")
            last = date.fromisoformat(self.last_export_date or self.first_export_date or "")
            return first, last
        return run_export_dates(tags)

    def args(self, build_args: list[str]) -> list[str]:
        return [*build_args, "--full-refresh"] if self.full_refresh else build_args


def build_dbt_assets(settings: Settings) -> AssetsDefinition:
    """Every dbt model, seed and test, for runs against `settings`."""
    build_args = dbt_build_args(settings)

    @dbt_assets(
        manifest=dbt_project.manifest_path,
        project=dbt_project,
        dagster_dbt_translator=warehouse_translator(),
        pool=WAREHOUSE_POOL,
        name=DBT_ASSETS_NAME,
    )
    def warehouse_dbt(
        context: AssetExecutionContext,
        dbt: DbtCliResource,
        warehouse: DuckDBResource,
        config: DbtBuildConfig,
    ) -> Iterator[Any]:
        """One `dbt build` for the run's window of export dates, widened to every date loaded
        since the last successful build (`warehouse.build_log`): the incremental models update
        the keys the window touches, every other model is rebuilt from them, every data test
        runs. Only a build of every dbt asset is recorded as built (a subset may skip some)."""
        run_dates = config.export_dates(context.run.tags)
        with warehouse.get_connection() as conn:
            window = build_window(conn, run_dates)
            started_at = build_started_at(conn)
        if window is None:
            context.log.info("the incremental models process every loaded export date")
        elif window != run_dates:
            context.log.info(
                f"export dates {window[0]} .. {window[1]}: the run's, and those loaded since "
                "the last successful build"
            )
        with export_window_env(window):
            invocation = dbt.cli(config.args(build_args), context=context)
        yield from with_progress(invocation.stream(), len(context.selected_asset_keys))
        if context.selected_asset_keys == set(context.assets_def.keys):  # not a subset
            with warehouse.get_connection() as conn:
                record_build(conn, started_at, window, config.full_refresh)

    return warehouse_dbt

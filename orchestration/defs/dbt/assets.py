"""The dbt assets, built by a factory when the definitions load (never at import): the manifest
must exist by then (`prepare_dbt_manifest`).

Every dbt model, seed and test is in one `@dbt_assets` definition, partitioned by export date
like the ingestion assets, so a run over a window of export dates is one `dbt build`. The window
reaches the incremental models in the environment (`export_window_env`): they update the keys
the window touches. Everything else is rebuilt in full from that state in the same invocation.
"""

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetMaterialization,
    AssetsDefinition,
    Config,
    Output,
    PartitionsDefinition,
)
from dagster_dbt import DbtCliResource, dbt_assets
from pydantic import Field

from orchestration.defs.dbt.project import dbt_project
from orchestration.defs.dbt.translator import warehouse_translator
from orchestration.defs.partitions import export_dates_of, one_run_per_window
from orchestration.defs.progress import is_milestone, progress_log
from orchestration.settings import Settings

# The op (and step) that runs `dbt build`; its run config is `DbtBuildConfig`.
DBT_ASSETS_NAME = "warehouse_dbt"
EXPORT_WINDOW_ENV = ("LCW_EXPORT_DATE_FROM", "LCW_EXPORT_DATE_TO")


def dbt_build_args(settings: Settings) -> list[str]:
    """`dbt build` with the vars the manifest was parsed with (so dbt parses partially)."""
    return ["build", "--vars", json.dumps(settings.dbt_vars())]


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

    full_refresh: bool = Field(
        default=False,
        description=(
            "Rebuild every incremental model from raw (dbt --full-refresh): the periodic reset, "
            "and the step after a change to an incremental model's columns."
        ),
    )

    def args(self, build_args: list[str]) -> list[str]:
        return [*build_args, "--full-refresh"] if self.full_refresh else build_args


def build_dbt_assets(settings: Settings, partitions: PartitionsDefinition) -> AssetsDefinition:
    """Every dbt model, seed and test, partitioned by export date, for runs against `settings`."""
    build_args = dbt_build_args(settings)

    @dbt_assets(
        manifest=dbt_project.manifest_path,
        project=dbt_project,
        dagster_dbt_translator=warehouse_translator(),
        # A window of export dates is one run and one `dbt build`, however many dates it holds.
        **one_run_per_window(partitions),
        name=DBT_ASSETS_NAME,
    )
    def warehouse_dbt(
        context: AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig
    ) -> Iterator[Any]:
        """One `dbt build` for the run's window of export dates: the incremental models update
        the keys the window touches, every other model is rebuilt from them, every test runs."""
        with export_window_env(export_dates_of(context)):
            invocation = dbt.cli(config.args(build_args), context=context)
        yield from with_progress(invocation.stream(), len(context.selected_asset_keys))

    return warehouse_dbt

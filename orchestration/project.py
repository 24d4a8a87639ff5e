"""The dbt project as Dagster sees it, and the explicit step that prepares its manifest."""

from __future__ import annotations

import json
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from orchestration.settings import (
    DBT_PROJECT_DIR,
    REPO_ROOT,
    default_warehouse_path,
    duckdb_config,
)

SEEDS_DIR = REPO_ROOT / "seeds"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


DBT_SOURCE_SUFFIXES = (".sql", ".yml", ".yaml", ".csv", ".md")


# The vars the project was last parsed with, beside the manifest.
PARSE_VARS_FILE = "lcw_parse_vars.json"


def dbt_vars(warehouse_path: Path) -> dict[str, str]:
    """The dbt vars of every invocation against one warehouse file: its path and DuckDB settings.

    They are the same for every run against that file, and the manifest is parsed with them,
    so each `dbt build` can parse partially: dbt parses everything again whenever its vars or
    its profile differ from the last parse (about 7 s per invocation here). What changes from
    run to run (the export-date window) travels in environment variables instead.
    """
    parse_vars = {"warehouse_path": str(warehouse_path)}
    for name, value in duckdb_config(warehouse_path).items():
        parse_vars[f"duckdb_{name}"] = value
    return parse_vars


def manifest_is_current(parse_vars: dict[str, str]) -> bool:
    """True when target/manifest.json was parsed with these vars and is newer than every file
    dbt parses (models, macros, tests, seeds, project and profile files)."""
    manifest = dbt_project.manifest_path
    stamp = manifest.parent / PARSE_VARS_FILE
    if not manifest.exists() or not stamp.exists():
        return False
    if json.loads(stamp.read_text()) != parse_vars:
        return False
    parsed_at = manifest.stat().st_mtime
    roots = [dbt_project.project_dir, SEEDS_DIR]
    return all(
        path.stat().st_mtime <= parsed_at
        for root in roots
        for path in root.rglob("*")
        if path.suffix in DBT_SOURCE_SUFFIXES
        and "target" not in path.relative_to(root).parts
        and "logs" not in path.relative_to(root).parts
    )


def prepare_dbt_manifest(warehouse_path: Path | None = None, force: bool = False) -> None:
    """Parse the dbt project into target/manifest.json, with the vars of runs against
    `warehouse_path` (default: LCW_WAREHOUSE or data/warehouse.duckdb), unless it is already
    current. `lcw prepare` forces it; `lcw run`, `dagster dev` and the tests call this.

    Must run before `orchestration.dbt_assets` is imported, which reads the manifest to build
    the asset graph.
    """
    parse_vars = dbt_vars(warehouse_path or default_warehouse_path())
    if force or not manifest_is_current(parse_vars):
        dbt = DbtCliResource(project_dir=dbt_project, profiles_dir=str(DBT_PROJECT_DIR))
        args = ["parse", "--quiet", "--vars", json.dumps(parse_vars)]
        dbt.cli(args, target_path=dbt_project.target_path).wait()
        (dbt_project.manifest_path.parent / PARSE_VARS_FILE).write_text(json.dumps(parse_vars))

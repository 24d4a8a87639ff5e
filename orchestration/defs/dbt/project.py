"""The dbt project as Dagster sees it, and the explicit step that prepares its manifest.

Nothing here parses or reads the manifest at import: `prepare_dbt_manifest` is called by
`lcw prepare`, by `lcw run` and, under `dagster dev`, when the definitions are loaded.
"""

from __future__ import annotations

import json

from dagster_dbt import DbtProject

from orchestration.defs.dbt.resource import WarehouseDbt
from orchestration.settings import DBT_PROJECT_DIR, SEEDS_DIR, Settings

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

DBT_SOURCE_SUFFIXES = (".sql", ".yml", ".yaml", ".csv", ".md")
# The vars the project was last parsed with, beside the manifest.
PARSE_VARS_FILE = "lcw_parse_vars.json"


def parse_key(settings: Settings) -> dict[str, object]:
    """What a manifest is parsed with: the dbt vars and the profile's target (one per engine)."""
    return {"vars": settings.dbt_vars(), "target": settings.dbt_target}


def manifest_is_current(parse_vars: dict[str, object]) -> bool:
    """True when target/manifest.json was parsed with these vars and target (`parse_key`) and is
    newer than every file dbt parses (models, macros, tests, seeds, project and profile files)."""
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


def prepare_dbt_manifest(settings: Settings, force: bool = False) -> None:
    """Parse the dbt project into target/manifest.json with the vars of runs against this
    warehouse and the engine's target, unless it is already current. `force` (what `lcw prepare`
    does) parses from scratch: dbt's partial parsing has been seen to miss a properties change
    after a merge."""
    key = parse_key(settings)
    if force or not manifest_is_current(key):
        dbt = WarehouseDbt(
            project_dir=dbt_project, profiles_dir=str(DBT_PROJECT_DIR), target=settings.dbt_target
        )
        args = ["parse", "--quiet", "--vars", json.dumps(settings.dbt_vars())]
        args += ["--no-partial-parse"] if force else []
        dbt.cli(args, target_path=dbt_project.target_path).wait()
        (dbt_project.manifest_path.parent / PARSE_VARS_FILE).write_text(json.dumps(key))

"""The dbt project as Dagster sees it, and the explicit step that prepares its manifest."""

from __future__ import annotations

from dagster_dbt import DbtProject

from orchestration.settings import DBT_PROJECT_DIR, REPO_ROOT

SEEDS_DIR = REPO_ROOT / "seeds"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


DBT_SOURCE_SUFFIXES = (".sql", ".yml", ".yaml", ".csv", ".md")


def manifest_is_current() -> bool:
    """True when target/manifest.json is newer than every file dbt parses (models, macros,
    tests, seeds, project and profile files)."""
    manifest = dbt_project.manifest_path
    if not manifest.exists():
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


def prepare_dbt_manifest(force: bool = False) -> None:
    """Parse the dbt project into target/manifest.json unless it is already current (`lcw
    prepare` forces it; `lcw run` and the tests call this).

    Must run before `orchestration.dbt_assets` is imported outside `dagster dev`, which reads the
    manifest to build the asset graph.
    """
    if force or not manifest_is_current():
        dbt_project.preparer.prepare(dbt_project)

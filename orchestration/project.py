"""The dbt project as Dagster sees it, and the explicit step that prepares its manifest."""

from __future__ import annotations

from dagster_dbt import DbtProject

from orchestration.settings import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def prepare_dbt_manifest() -> None:
    """Parse the dbt project into target/manifest.json (`lcw prepare`; `lcw run` and tests call it).

    Must run before `orchestration.dbt_assets` is imported outside `dagster dev`, which reads the
    manifest to build the asset graph.
    """
    dbt_project.preparer.prepare(dbt_project)

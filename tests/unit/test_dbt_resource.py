"""The dbt resource skips two of dagster-dbt's per-command steps (defs/dbt/resource.py)."""

import inspect

import dbt.version
from dagster_dbt import DbtCliResource
from packaging.version import Version

from orchestration.defs.dbt.project import dbt_project
from orchestration.defs.dbt.resource import WarehouseDbt


def test_what_the_resource_overrides_still_exists_in_dagster_dbt():
    # Renamed or no longer called after an upgrade, the overrides would silently save nothing.
    cli_source = inspect.getsource(DbtCliResource.cli)
    assert "self._cli_version" in cli_source
    assert "self._initialize_dbt_core_adapter(" in cli_source


def test_the_version_is_the_installed_dbt_core_without_a_subprocess():
    resource = WarehouseDbt(project_dir=dbt_project)
    assert resource._cli_version == Version(dbt.version.__version__)
    # dbt Core, not Fusion: dagster-dbt reads dbt build's events as Core's.
    assert resource._cli_version.major < 2
    assert resource._initialize_dbt_core_adapter(["build"]) is None

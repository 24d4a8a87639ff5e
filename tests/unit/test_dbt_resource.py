"""The dbt resource skips two of dagster-dbt's per-command steps (defs/dbt/resource.py)."""

import inspect
import os

import dbt.version
from dagster_dbt import DbtCliResource
from packaging.version import Version

from orchestration.defs.dbt.project import dbt_project
from orchestration.defs.dbt.resource import KEPT_INVOCATIONS, WarehouseDbt


def test_what_the_resource_overrides_still_exists_in_dagster_dbt():
    # Renamed or no longer called after an upgrade, the overrides would silently save nothing.
    cli_source = inspect.getsource(DbtCliResource.cli)
    assert "self._cli_version" in cli_source
    assert "self._initialize_dbt_core_adapter(" in cli_source
    assert "self._get_unique_target_path(" in cli_source


def test_the_version_is_the_installed_dbt_core_without_a_subprocess():
    resource = WarehouseDbt(project_dir=dbt_project)
    assert resource._cli_version == Version(dbt.version.__version__)
    # dbt Core, not Fusion: dagster-dbt reads dbt build's events as Core's.
    assert resource._cli_version.major < 2
    assert resource._initialize_dbt_core_adapter(["build"]) is None


def test_a_new_command_keeps_only_the_newest_target_folders(tmp_path, monkeypatch):
    target = tmp_path / "target"
    old = [target / f"warehouse_dbt-{i:07x}-abcdef{i % 10}" for i in range(KEPT_INVOCATIONS + 5)]
    for age, folder in enumerate(reversed(old)):  # old[0] is the newest
        (folder / "compiled").mkdir(parents=True)
        (folder / "dbt.log").write_text("log")
        os.utime(folder, (1_000_000 + age, 1_000_000 + age))
    # What is not a command's folder stays: the parsed project, and any folder of another name.
    (target / "partial_parse.msgpack").write_text("state")
    (target / "compiled").mkdir()
    monkeypatch.setenv("DBT_TARGET_PATH", str(target))

    new = WarehouseDbt(project_dir=dbt_project)._get_unique_target_path(context=None)

    assert new.parent == target
    assert not new.exists()  # dbt creates it; with it, KEPT_INVOCATIONS are left
    left = {p.name for p in target.iterdir()}
    expected = {folder.name for folder in old[: KEPT_INVOCATIONS - 1]}
    assert left == expected | {"partial_parse.msgpack", "compiled"}

"""One Settings value: defaults in one place, the environment read only when asked, bad values
refused with the setting named."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from orchestration.settings import REPO_ROOT, Settings, SettingsError, environment_set


def test_defaults_live_in_the_repository(tmp_path: Path) -> None:
    settings = Settings.from_env({})
    assert settings.warehouse_path == REPO_ROOT / "data" / "warehouse.duckdb"
    assert settings.landing_root == REPO_ROOT / "data" / "landing"
    assert settings.first_export_date == date(2019, 1, 1)
    assert settings.published_path == REPO_ROOT / "data" / "published" / "live_commerce.duckdb"
    assert settings.spill_directory == REPO_ROOT / "data" / "warehouse.spill"


def test_environment_then_arguments(tmp_path: Path) -> None:
    environ = {
        "LCW_WAREHOUSE": str(tmp_path / "env.duckdb"),
        "LCW_LANDING": str(tmp_path / "env_landing"),
        "LCW_FIRST_EXPORT_DATE": "1997-01-01",
        "LCW_DUCKDB_MEMORY_LIMIT": "2GB",
        "LCW_DUCKDB_MAX_SPILL": "10GB",
    }
    settings = Settings.from_env(environ, warehouse_path=tmp_path / "arg.duckdb", landing_root=None)
    assert settings.warehouse_path == tmp_path / "arg.duckdb"
    assert settings.landing_root == tmp_path / "env_landing"
    assert settings.first_export_date == date(1997, 1, 1)
    assert settings.duckdb_config() == {
        "memory_limit": "2GB",
        "temp_directory": str(tmp_path / "arg.spill"),
        "max_temp_directory_size": "10GB",
        "checkpoint_threshold": "1GB",
    }
    assert settings.dbt_vars() == {
        "warehouse_path": str(tmp_path / "arg.duckdb"),
        "duckdb_memory_limit": "2GB",
        "duckdb_temp_directory": str(tmp_path / "arg.spill"),
        "duckdb_max_temp_directory_size": "10GB",
        "duckdb_checkpoint_threshold": "1GB",
    }


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("LCW_DUCKDB_MEMORY_LIMIT", "lots", "LCW_DUCKDB_MEMORY_LIMIT='lots' is not a size"),
        ("LCW_DUCKDB_MAX_SPILL", "-1GB", "LCW_DUCKDB_MAX_SPILL='-1GB' is not a size"),
        ("LCW_FIRST_EXPORT_DATE", "1997-13-01", "LCW_FIRST_EXPORT_DATE='1997-13-01' is not a date"),
        ("LCW_FIRST_EXPORT_DATE", "1989-12-31", "is before 1990-01-01"),
    ],
)
def test_bad_values_name_the_setting(variable: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("(", r"\(")):
        Settings.from_env({variable: value})


def test_settings_are_frozen() -> None:
    settings = Settings.from_env({})
    with pytest.raises(AttributeError):
        settings.warehouse_path = Path("/elsewhere")  # type: ignore[misc]
    assert settings.with_changes(first_export_date=date(2000, 1, 1)).first_export_date == date(
        2000, 1, 1
    )


def test_engine_and_lake_root(tmp_path: Path) -> None:
    duckdb_settings = Settings.from_env({}, warehouse_path=tmp_path / "w.duckdb")
    assert (duckdb_settings.engine, duckdb_settings.dbt_target) == ("duckdb", "dev")
    assert duckdb_settings.lake_directory == tmp_path / "lake"
    # The duckdb engine's dbt vars do not change: its manifests stay current.
    assert "lake_root" not in duckdb_settings.dbt_vars()
    spark = Settings.from_env(
        {"LCW_ENGINE": "spark", "LCW_LAKE": str(tmp_path / "env_lake")},
        warehouse_path=tmp_path / "w.duckdb",
    )
    assert (spark.engine, spark.dbt_target) == ("spark", "spark")
    assert spark.dbt_vars()["lake_root"] == str(tmp_path / "env_lake")
    argument = Settings.from_env({"LCW_ENGINE": "spark"}, engine="duckdb")
    assert argument.engine == "duckdb"
    with pytest.raises(SettingsError, match="LCW_ENGINE='flink' is not an engine"):
        Settings.from_env({"LCW_ENGINE": "flink"})


def test_a_quote_in_the_warehouse_path_is_refused_up_front(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="contains a quote"):
        Settings(warehouse_path=tmp_path / "bob's.duckdb")


def test_a_quote_in_the_lake_path_is_refused_up_front(tmp_path: Path) -> None:
    """The lake root goes into the spark engine's SQL: a quote (or a backtick) would break it
    halfway through a run, so the setting is refused by name before anything runs."""
    with pytest.raises(SettingsError, match=r"lake root .*bob's lake \(LCW_LAKE, lcw run --lake"):
        Settings.from_env({"LCW_ENGINE": "spark", "LCW_LAKE": str(tmp_path / "bob's lake")})
    with pytest.raises(SettingsError, match=r"contains a quote \('\)"):
        Settings(engine="spark", lake_root=tmp_path / "bob's lake")
    # The default lake, beside the warehouse, is checked too.
    with pytest.raises(SettingsError, match=r"contains a backtick \(`\)"):
        Settings(engine="spark", warehouse_path=tmp_path / "a`b" / "w.duckdb")
    # The duckdb engine never uses the lake.
    assert Settings(lake_root=tmp_path / "bob's lake").engine == "duckdb"


def test_environment_set_restores_what_was_there(monkeypatch) -> None:
    import os

    monkeypatch.setenv("LCW_TEST_KEPT", "before")
    monkeypatch.delenv("LCW_TEST_NEW", raising=False)
    with (
        pytest.raises(RuntimeError),
        environment_set({"LCW_TEST_KEPT": None, "LCW_TEST_NEW": "during"}),
    ):
        assert "LCW_TEST_KEPT" not in os.environ
        assert os.environ["LCW_TEST_NEW"] == "during"
        raise RuntimeError("the block failed")
    assert os.environ["LCW_TEST_KEPT"] == "before"
    assert "LCW_TEST_NEW" not in os.environ

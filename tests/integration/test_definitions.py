"""The Dagster code location: it loads, shows the whole graph, and runs through the real CLI."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance
from dagster._core.instance.ref import InstanceRef
from helpers import REPO_ROOT, requested_ranges, run_command

from orchestration.defs import build_definitions
from orchestration.defs.dbt.assets import dbt_build_args, export_window_env
from orchestration.landing.contract import SOURCES
from orchestration.settings import Settings


@pytest.fixture(scope="module")
def defs(dbt_manifest: Path, tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("defs")
    return build_definitions(Settings(warehouse_path=tmp / "w.duckdb", landing_root=tmp / "l"))


def test_graph_has_ingestion_dbt_and_published_assets(defs, dbt_manifest: Path) -> None:
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    manifest = json.loads(dbt_manifest.read_text())
    dbt_nodes = {
        f"{node['config']['schema']}/{node['name']}"
        for node in manifest["nodes"].values()
        if node["resource_type"] in ("model", "seed")
    }
    assert {f"raw/{source}" for source in SOURCES} <= keys
    assert dbt_nodes <= keys
    assert "published/marts" in keys
    # The published mart names (METRICS.md) are all there.
    for mart in (
        "fct_orders", "gmv_daily", "repurchase_rate", "returning_buyers_monthly",
        "private_domain_share_monthly", "enforcement_daily",
    ):  # fmt: skip
        assert f"marts/{mart}" in keys


def test_dbt_tests_are_asset_checks_including_source_tests(defs, dbt_manifest: Path) -> None:
    manifest = json.loads(dbt_manifest.read_text())
    tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test"]
    checks = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    # Every dbt test, the singular ones that read several models included: all the models are
    # in one asset definition, so each test is a check of the asset it is attached to.
    assert {t["name"] for t in tests} <= checks
    source_checks = [
        k
        for k in defs.resolve_asset_graph().asset_check_keys
        if k.asset_key == AssetKey(["raw", "orders"])
    ]
    assert any(k.name.startswith("source_not_null_platform_orders") for k in source_checks)


def test_every_warehouse_writer_is_in_the_single_writer_pool(defs) -> None:
    graph = defs.resolve_asset_graph()
    writers = [k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable]
    assert writers
    for key in writers:
        assert defs.resolve_assets_def(key).node_def.pools == {"duckdb_warehouse"}, key


def test_dagster_yaml_limits_the_pool_to_one(tmp_path: Path) -> None:
    with DagsterInstance.from_ref(
        InstanceRef.from_dir(str(tmp_path), config_dir=str(REPO_ROOT))
    ) as instance:  # noqa: E501
        config = instance.get_concurrency_config()
    assert config.pool_config.default_pool_limit == 1


def test_daily_schedule_targets_the_previous_export_date(defs) -> None:
    schedule = defs.resolve_schedule_def("update_warehouse_schedule")
    assert schedule.job_name == "update_warehouse"
    assert schedule.execution_timezone == "Asia/Shanghai"


def test_definitions_validate_with_the_dagster_cli(dbt_manifest: Path) -> None:
    result = run_command(["dagster", "definitions", "validate", "-m", "orchestration.definitions"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_one_job_runs_ingestion_one_dbt_build_and_the_publish(defs) -> None:
    """The ingestion assets are partitioned by export date, the dbt assets and the published copy
    are not (Dagster writes events per asset and partition); one job over a window of dates runs
    the ingestion steps, one dbt step (every model, seed and test) and the publish, in order."""
    graph = defs.resolve_asset_graph()
    keys = graph.get_all_asset_keys()
    partitioned = {
        k for k in keys if graph.get(k).is_materializable and graph.get(k).partitions_def
    }
    assert partitioned == {AssetKey(["raw", source]) for source in SOURCES}
    jobs = [job.name for job in defs.resolve_all_job_defs() if not job.name.startswith("__")]
    assert jobs == ["update_warehouse"]
    job = defs.resolve_job_def("update_warehouse")
    assert {node.name for node in job.graph.node_defs} == {
        *(f"raw__{source}" for source in SOURCES), "warehouse_dbt", "published__marts",
    }  # fmt: skip
    dbt = defs.resolve_assets_def(AssetKey(["marts", "gmv_daily"]))
    assert dbt.node_def.name == "warehouse_dbt"
    assert {k for k in keys if k.path[0] not in ("raw", "published")} == set(dbt.keys)
    assert job.asset_layer.selected_asset_keys == {
        k for k in keys if graph.get(k).is_materializable
    }
    # Upstream of the dbt step: every ingestion asset; downstream: the published copy.
    published = graph.get(AssetKey(["published", "marts"]))
    assert AssetKey(["marts", "gmv_daily"]) in published.parent_keys
    description = graph.get(AssetKey(["intermediate", "int_orders_latest"])).description
    assert "updated with that export date" in description
    assert "rebuilt in full" in graph.get(AssetKey(["marts", "festival_gmv"])).description


def test_schedule_and_landing_sensor_request_the_one_job(defs) -> None:
    assert defs.resolve_sensor_def("landing_partition_sensor").job_name == "update_warehouse"
    assert defs.resolve_schedule_def("update_warehouse_schedule").job_name == "update_warehouse"
    assert [sensor.name for sensor in defs.sensors] == ["landing_partition_sensor"]


def test_landing_sensor_requests_one_run_per_range_of_new_or_changed_dates(
    defs, tmp_path: Path
) -> None:
    """New dates come as one run per range of consecutive dates (each run is one dbt build); a
    date is requested again only when its files change."""
    from dagster import build_sensor_context

    from orchestration.defs.resources import LandingZone

    landing = tmp_path / "landing"
    for dt in ("2021-06-01", "2021-06-02", "2021-06-04"):
        (landing / "orders" / f"dt={dt}").mkdir(parents=True)
        (landing / "orders" / f"dt={dt}" / "orders.csv").write_text("order_id\n1\n")
    sensor = defs.resolve_sensor_def("landing_partition_sensor")

    def tick(cursor: str | None):
        with DagsterInstance.ephemeral() as instance:
            context = build_sensor_context(
                instance=instance,
                cursor=cursor,
                resources={"landing": LandingZone(root=str(landing))},
            )
            return sensor.evaluate_tick(context)

    first = tick(None)
    assert requested_ranges(first) == [("2021-06-01", "2021-06-02"), ("2021-06-04", "2021-06-04")]
    assert all(r.job_name in (None, "update_warehouse") for r in first.run_requests)
    assert requested_ranges(tick(first.cursor)) == []
    (landing / "orders" / "dt=2021-06-02" / "orders.csv").write_text("order_id\n1\n2\n")
    (landing / "orders" / "dt=2021-06-05").mkdir()
    (landing / "orders" / "dt=2021-06-05" / "orders.csv").write_text("order_id\n3\n")
    assert requested_ranges(tick(first.cursor)) == [
        ("2021-06-02", "2021-06-02"), ("2021-06-05", "2021-06-05"),
    ]  # fmt: skip


def test_dbt_vars_stay_the_same_from_run_to_run() -> None:
    """The export-date window travels in the environment, so the vars (and with them dbt's
    partial parsing) are the same for every run against one warehouse file."""
    import os
    from datetime import date

    settings = Settings(warehouse_path=Path("/w.duckdb"))
    args = dbt_build_args(settings)
    assert args[:2] == ["build", "--vars"]
    assert json.loads(args[2])["warehouse_path"] == "/w.duckdb"
    assert "export_date_from" not in args[2]
    assert "LCW_EXPORT_DATE_FROM" not in os.environ
    with export_window_env((date(2021, 6, 1), date(2021, 6, 3))):
        assert os.environ["LCW_EXPORT_DATE_FROM"] == "2021-06-01"
        assert os.environ["LCW_EXPORT_DATE_TO"] == "2021-06-03"
        assert dbt_build_args(settings) == args
    assert "LCW_EXPORT_DATE_FROM" not in os.environ


def test_a_new_window_parses_nothing_again(dbt_manifest: Path, tmp_path: Path) -> None:
    """The window is read only when dbt executes (macro given_export_window): a `dbt build`
    whose window differs from the prepared manifest's re-parses no file. Read while parsing, it
    was recorded in 18 files, parsed again on every run."""
    import shutil

    settings = Settings.from_env()
    target = tmp_path / "target"
    target.mkdir()
    shutil.copy(dbt_manifest.parent / "partial_parse.msgpack", target)
    dbt_parse = ["dbt", "parse", "--vars", json.dumps(settings.dbt_vars())]
    dbt_parse += ["--target", settings.dbt_target, "--target-path", str(target)]
    dbt_parse += ["--project-dir", "dbt_project", "--profiles-dir", "dbt_project"]
    window = {"LCW_EXPORT_DATE_FROM": "2021-06-01", "LCW_EXPORT_DATE_TO": "2021-06-03"}
    result = run_command(dbt_parse, **window)
    assert result.returncode == 0, result.stdout[-2000:]
    performance = json.loads((target / "perf_info.json").read_text())
    assert performance["is_partial_parse_enabled"] and performance["path_count"] > 200
    assert performance["parsed_path_count"] == 0


def test_the_dbt_window_is_the_runs_export_dates() -> None:
    """The unpartitioned dbt step takes its window from the run: a range of partitions (lcw
    run, the sensor), one partition (the schedule), the config, or none (every date)."""
    from datetime import date

    from orchestration.defs.dbt.assets import DbtBuildConfig
    from orchestration.defs.partitions import partition_range_tags

    june = (date(2021, 6, 1), date(2021, 6, 3))
    config = DbtBuildConfig()
    assert config.export_dates(partition_range_tags("2021-06-01", "2021-06-03")) == june
    assert config.export_dates({"dagster/partition": "2021-06-02"}) == (june[0].replace(day=2),) * 2
    assert config.export_dates({}) is None
    chosen = DbtBuildConfig(first_export_date="2021-06-01", last_export_date="2021-06-03")
    assert chosen.export_dates({"dagster/partition": "2021-07-01"}) == june
    assert DbtBuildConfig(last_export_date="2021-06-03").export_dates({}) == (june[1], june[1])
    import os

    os.environ["LCW_EXPORT_DATE_FROM"] = "1999-01-01"  # a stale window is never inherited
    try:
        with export_window_env(None):
            assert "LCW_EXPORT_DATE_FROM" not in os.environ
    finally:
        os.environ.pop("LCW_EXPORT_DATE_FROM")


def test_daily_schedule_requests_yesterdays_partition(defs) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from dagster import build_schedule_context

    schedule = defs.resolve_schedule_def("update_warehouse_schedule")
    tick = datetime(2021, 6, 16, 1, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with DagsterInstance.ephemeral() as instance:
        context = build_schedule_context(instance=instance, scheduled_execution_time=tick)
        requests = schedule.evaluate_tick(context).run_requests
    assert [r.partition_key for r in requests] == ["2021-06-15"]


IMPORT_WITHOUT_MANIFEST = """
import dagster_dbt.dbt_manifest as m
def refuse(*args, **kwargs):
    raise AssertionError("the manifest was read at import time")
m.read_manifest_path = refuse
import orchestration.definitions
print("imported")
"""


def test_importing_the_code_location_reads_no_manifest() -> None:
    """A clean checkout (no manifest yet) imports the code location: definitions are built when
    Dagster loads them, not at import."""
    result = run_command(["python", "-c", IMPORT_WITHOUT_MANIFEST])
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "imported"


def test_the_first_export_date_is_a_setting(dbt_manifest: Path, tmp_path: Path) -> None:
    settings = Settings(warehouse_path=tmp_path / "w.duckdb", first_export_date=date(1997, 1, 1))
    job = build_definitions(settings).resolve_job_def("update_warehouse")
    assert job.partitions_def.get_first_partition_key() == "1997-01-01"


def test_lcw_and_dagster_dev_share_the_project_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without DAGSTER_HOME, `lcw` and `dagster dev` started from the repository root (which
    reads dagster.yaml there) keep runs in the same storage: what one writes the other reads."""
    from orchestration.cli.runner import project_instance

    monkeypatch.delenv("DAGSTER_HOME")
    monkeypatch.chdir(REPO_ROOT)
    marker = f"probe-{os.getpid()}"
    with project_instance() as cli, DagsterInstance.from_config(str(REPO_ROOT)) as ui:
        cli.add_dynamic_partitions("lcw_shared_instance_probe", [marker])
        try:
            assert marker in ui.get_dynamic_partitions("lcw_shared_instance_probe")
        finally:
            cli.delete_dynamic_partition("lcw_shared_instance_probe", marker)

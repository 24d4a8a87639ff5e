"""The Dagster code location: it loads, shows the whole graph, and runs through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import E2E_START, REPO_ROOT, query, run_command
from dagster import AssetKey, DagsterInstance, materialize
from dagster._core.instance.ref import InstanceRef

from orchestration.landing.contract import SOURCES


@pytest.fixture(scope="module")
def defs(dbt_manifest: Path, tmp_path_factory: pytest.TempPathFactory):
    from orchestration.definitions import build_definitions

    tmp = tmp_path_factory.mktemp("defs")
    return build_definitions(warehouse_path=tmp / "w.duckdb", landing_root=tmp / "landing")


def test_graph_has_ingestion_dbt_and_published_assets(defs, dbt_manifest: Path) -> None:
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    manifest = json.loads(dbt_manifest.read_text())
    dbt_nodes = {
        f"{node['config']['schema']}/{node['name']}"
        for node in manifest["nodes"].values()
        if node["resource_type"] in ("model", "seed")
    }
    assert {f"raw/{source}" for source in SOURCES} <= keys
    assert len(dbt_nodes) >= 19
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
    schedule = defs.resolve_schedule_def("ingest_landing_schedule")
    assert schedule.job_name == "ingest_landing"
    assert schedule.execution_timezone == "Asia/Shanghai"


def test_definitions_validate_with_the_dagster_cli(dbt_manifest: Path) -> None:
    result = run_command(["dagster", "definitions", "validate", "-m", "orchestration.definitions"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_materialize_partition_through_dagster_cli_then_again_in_process(
    defs, simulated_landing: Path, tmp_path: Path, dbt_manifest: Path
) -> None:
    """The real `dagster asset materialize` with the env-var configuration the UI uses; then the
    same partition again in process: the partition is replaced, never duplicated."""
    from orchestration.definitions import build_definitions
    from orchestration.ingestion_assets import ingestion_assets

    warehouse = tmp_path / "w.duckdb"
    partition = E2E_START.isoformat()
    result = run_command(
        ["dagster", "asset", "materialize", "-m", "orchestration.definitions",
         "--select", "raw/orders", "--partition", partition],
        LCW_WAREHOUSE=str(warehouse), LCW_LANDING=str(simulated_landing),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    sql = f"select count(*), sum(paid_amount) from raw.orders where _partition_dt = '{partition}'"
    first = query(warehouse, sql)
    expected_rows = (
        query(
            warehouse,
            "select count(*) from read_parquet("
            f"'{simulated_landing}/orders/dt={partition}/*.parquet', hive_partitioning = false)",
        )[0][0]
        + query(
            warehouse,
            f"select count(*) from read_csv('{simulated_landing}/orders/dt={partition}/*.csv', "
            "all_varchar = true, hive_partitioning = false)",
        )[0][0]
    )
    assert first[0][0] == expected_rows > 0

    in_process = build_definitions(warehouse_path=warehouse, landing_root=simulated_landing)
    orders_asset = next(a for a in ingestion_assets if a.key == AssetKey(["raw", "orders"]))
    resources = {k: v for k, v in in_process.resources.items() if k in ("warehouse", "landing")}
    outcome = materialize([orders_asset], partition_key=partition, resources=resources)
    assert outcome.success
    assert query(warehouse, sql) == first


def test_incremental_models_run_per_export_date_and_marts_follow(defs) -> None:
    graph = defs.resolve_asset_graph()
    partitioned = {
        k.to_user_string() for k in graph.get_all_asset_keys() if graph.get(k).is_partitioned
    }
    assert {
        "intermediate/int_orders_latest",
        "intermediate/int_livestream_sessions",
        "marts/fct_enforcement_actions",
        "staging/stg_platform__orders",
    } <= partitioned
    assert "marts/gmv_daily" not in partitioned
    assert defs.resolve_sensor_def("build_after_ingest").job_name == "build_warehouse"
    assert defs.resolve_sensor_def("landing_partition_sensor").job_name == "ingest_landing"


def test_dbt_vars_stay_the_same_from_run_to_run() -> None:
    """The export-date window travels in the environment, so the vars (and with them dbt's
    partial parsing) are the same for every run against one warehouse file."""
    import os
    from datetime import date

    from orchestration.dbt_assets import dbt_build_args, export_window_env

    args = dbt_build_args("/w.duckdb")
    assert args[:2] == ["build", "--vars"]
    assert json.loads(args[2])["warehouse_path"] == "/w.duckdb"
    assert "export_date_from" not in args[2]
    assert "LCW_EXPORT_DATE_FROM" not in os.environ
    with export_window_env((date(2021, 6, 1), date(2021, 6, 3))):
        assert os.environ["LCW_EXPORT_DATE_FROM"] == "2021-06-01"
        assert os.environ["LCW_EXPORT_DATE_TO"] == "2021-06-03"
        assert dbt_build_args("/w.duckdb") == args
    assert "LCW_EXPORT_DATE_FROM" not in os.environ


def test_overheads_benchmark_smoke(dbt_manifest: Path) -> None:
    """The benchmark script runs (its figures are not asserted: benchmarks are not tests)."""
    result = run_command(["python", "benchmarks/overheads.py", "--smoke"])
    assert result.returncode == 0, result.stderr
    assert "code location load (s)" in result.stdout


def test_daily_schedule_requests_yesterdays_partition(defs) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from dagster import build_schedule_context

    schedule = defs.resolve_schedule_def("ingest_landing_schedule")
    tick = datetime(2021, 6, 16, 1, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with DagsterInstance.ephemeral() as instance:
        context = build_schedule_context(instance=instance, scheduled_execution_time=tick)
        requests = schedule.evaluate_tick(context).run_requests
    assert [r.partition_key for r in requests] == ["2021-06-15"]

"""The real `dagster` CLI, configured from the environment as the UI is, materialises a
partition; the same partition again in process replaces it, never duplicates it."""

from __future__ import annotations

from pathlib import Path

from dagster import AssetKey, materialize
from helpers import E2E_START, query, run_command

from orchestration.defs import build_definitions
from orchestration.settings import Settings


def test_materialize_partition_through_dagster_cli_then_again_in_process(
    simulated_landing: Path, tmp_path: Path, dbt_manifest: Path
) -> None:
    """The real `dagster asset materialize` with the env-var configuration the UI uses; then the
    same partition again in process: the partition is replaced, never duplicated."""
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

    in_process = build_definitions(
        Settings(warehouse_path=warehouse, landing_root=simulated_landing)
    )
    orders_asset = in_process.resolve_assets_def(AssetKey(["raw", "orders"]))
    # The asset comes with the definitions' resources bound.
    outcome = materialize([orders_asset], partition_key=partition)
    assert outcome.success
    assert query(warehouse, sql) == first

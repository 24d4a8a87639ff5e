"""What `lcw run` tells a data engineer: data from any year loads, folders it will not load are
named, a blocking check stops the publish, and the Dagster instance records every run."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterEventType, DagsterInstance, DagsterRunStatus
from helpers import VALID_ORDER, lcw, query, write_csv

from orchestration.settings import Settings


def orders_landing(root: Path, dates: list[str], bad_on_first: int = 0) -> Path:
    for index, dt in enumerate(dates):
        day = {k: v.replace("2021-06-15", dt) for k, v in VALID_ORDER.items()}
        rows = [{**day, "order_id": f"o{index}", "paid_amount": "100.00"}]
        if index == 0:
            rows += [{**day, "order_id": f"bad{i}", "status": "?"} for i in range(bad_on_first)]
        write_csv(root / "orders" / f"dt={dt}" / "orders.csv", rows)
    return root


def test_data_from_1997_loads_and_a_far_future_folder_is_named(
    tmp_path: Path, isolated_dagster_home: Path
) -> None:
    landing = orders_landing(tmp_path / "landing", ["1997-01-01", "1997-01-02"])
    (landing / "orders" / "dt=2999-01-01").mkdir()
    warehouse = tmp_path / "w.duckdb"
    result = lcw("run", "--landing", str(landing), "--warehouse", str(warehouse))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "skipping orders/dt=2999-01-01: export dates after" in result.stdout
    assert "orders: 2/2 export dates (to 1997-01-02), 2 rows loaded" in result.stdout
    published = Settings(warehouse_path=warehouse).published_path
    assert query(published, "select day::varchar, gmv from marts.gmv_daily order by day") == [
        ("1997-01-01", 100), ("1997-01-02", 100),
    ]  # fmt: skip

    # The run is in the Dagster instance the UI reads, with the ingestion partitions it
    # materialised: one run of the one job, with one dbt step, for the window of export dates.
    with DagsterInstance.from_config(str(isolated_dagster_home)) as instance:
        [record] = instance.get_run_records(limit=1)
        assert record.dagster_run.job_name == "update_warehouse"
        assert record.dagster_run.status == DagsterRunStatus.SUCCESS
        steps = [s.step_key for s in instance.get_run_step_stats(record.dagster_run.run_id)]
        assert steps.count("warehouse_dbt") == 1 and "published__marts" in steps
        materialized = instance.get_materialized_partitions(AssetKey(["raw", "orders"]))
        assert {"1997-01-01", "1997-01-02"} <= materialized
        for key in (["marts", "gmv_daily"], ["published", "marts"]):  # not partitioned
            latest = instance.get_latest_materialization_event(AssetKey(key))
            assert latest is not None and latest.run_id == record.dagster_run.run_id, key
        # Every check the run planned was evaluated in it: none shows as skipped in the UI.
        planned, evaluated = set(), set()
        for entry in instance.all_logs(record.dagster_run.run_id):
            event = entry.dagster_event
            if event is None:
                continue
            if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED:
                planned.add(event.event_specific_data.asset_check_key)
            if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
                evaluated.add(event.event_specific_data.asset_check_key)
        assert planned and planned == evaluated, planned - evaluated
        # A range of dates is planned in one event per asset (runner.PLANNED_EVENT_PER_ASSET),
        # and each source logs one line for the range, not one per date.
        run_id = record.dagster_run.run_id
        [orders_planned] = [
            entry.dagster_event.event_specific_data
            for entry in instance.all_logs(run_id, DagsterEventType.ASSET_MATERIALIZATION_PLANNED)
            if entry.dagster_event.asset_key == AssetKey(["raw", "orders"])
        ]
        assert set(orders_planned.partitions_subset.get_partition_keys()) == {
            "1997-01-01", "1997-01-02",
        }  # fmt: skip
        messages = [entry.user_message for entry in instance.all_logs(run_id)]
        assert (
            "orders: 2 export dates loaded (1997-01-01 .. 1997-01-02): read 2, loaded 2, "
            "rejected 0; 0 unchanged since their last load"
        ) in messages
        assert not [message for message in messages if "orders dt=" in message]

    # The periodic reset rebuilds every model from raw, even though nothing changed: same marts.
    marts = "select day::varchar, gmv, orders from marts.gmv_daily order by day"
    before = query(published, marts)
    args = ["run", "--landing", str(landing), "--warehouse", str(warehouse)]
    assert "Nothing changed" in lcw(*args).stdout
    result = lcw(*args, "--full-refresh")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Nothing changed" not in result.stdout
    assert query(published, marts) == before


def test_a_failed_blocking_check_stops_the_run_and_names_the_partition(tmp_path: Path) -> None:
    # 2 of 3 rows rejected on the first date: 67% against a 1% bar.
    landing = orders_landing(tmp_path / "landing", ["2021-06-14", "2021-06-15"], bad_on_first=2)
    warehouse = tmp_path / "w.duckdb"
    result = lcw("run", "--landing", str(landing), "--warehouse", str(warehouse))
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("lcw run: error: ingestion failed: checks failed: ")
    assert "raw/orders:reject_ratio_within_threshold" in line
    assert "'2021-06-14': 0.6667" in line
    # The date that rejected rows has its own line in the run's log.
    with DagsterInstance.get() as instance:
        [record] = instance.get_run_records(limit=1)
        messages = [entry.user_message for entry in instance.all_logs(record.dagster_run.run_id)]
    assert "orders dt=2021-06-14: read 3, loaded 1, rejected 2 {'status_not_allowed': 2}" in (
        messages
    )
    assert not Settings(warehouse_path=warehouse).published_path.exists()
    # The blocking check stopped the run before its dbt step: dbt built nothing.
    built = "select count(*) from information_schema.tables where table_schema <> 'raw'"
    assert query(warehouse, built) == [(0,)]


def test_a_date_whose_build_failed_is_built_by_the_next_run(tmp_path: Path) -> None:
    """06-15 builds; 06-16 loads but its blocking check stops the run before dbt; the run of
    06-17 alone must still build 06-16's accepted order (its load came after the last build)."""
    dates = ["2021-06-15", "2021-06-16", "2021-06-17"]
    landing = orders_landing(tmp_path / "landing", dates)
    day = {k: v.replace("2021-06-15", dates[1]) for k, v in VALID_ORDER.items()}
    rows = [
        {**day, "order_id": "o1", "paid_amount": "100.00"},
        {**day, "order_id": "bad", "status": "?"},
    ]
    write_csv(landing / "orders" / f"dt={dates[1]}" / "orders.csv", rows)
    warehouse = tmp_path / "w.duckdb"
    run = ["run", "--landing", str(landing), "--warehouse", str(warehouse)]
    outcomes = [lcw(*run, "--from", dt, "--to", dt) for dt in dates]
    assert [result.returncode for result in outcomes] == [0, 1, 0], outcomes[-1].stdout
    assert "reject_ratio_within_threshold" in outcomes[1].stderr
    published = Settings(warehouse_path=warehouse).published_path
    assert query(published, "select day::varchar, gmv from marts.gmv_daily order by day") == [
        (dates[0], 100), (dates[1], 100), (dates[2], 100),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def three_days(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One landing for two stories, loaded by one `lcw run`: orders A and B exported on 06-15
    and C on 06-16 (a corrected re-export of 06-15 will drop B), and on 06-17 two orders of
    9,999,999,999,999,999.99 among 250 ordinary ones. Every order is paid 100.00."""
    root = tmp_path_factory.mktemp("three_days")
    landing, warehouse = root / "landing", root / "w.duckdb"
    days = {dt: {k: v.replace("2021-06-15", dt) for k, v in VALID_ORDER.items()}
            for dt in ("2021-06-15", "2021-06-16", "2021-06-17")}  # fmt: skip
    for dt, order_ids in (("2021-06-15", "AB"), ("2021-06-16", "C")):
        rows = [{**days[dt], "order_id": order_id} for order_id in order_ids]
        write_csv(landing / "orders" / f"dt={dt}" / "orders.csv", rows)
    enormous = days["2021-06-17"]
    rows = [{**enormous, "order_id": f"o{i}", "paid_amount": "100.00"} for i in range(250)]
    huge = "9999999999999999.99"
    rows += [
        {**enormous, "order_id": f"huge{i}", "item_amount": huge, "discount_amount": "0.00",
         "paid_amount": huge}
        for i in range(2)
    ]  # fmt: skip
    write_csv(landing / "orders" / "dt=2021-06-17" / "orders.csv", rows)
    result = lcw("run", "--landing", str(landing), "--warehouse", str(warehouse))
    assert result.returncode == 0, result.stdout + result.stderr
    return {"landing": landing, "warehouse": warehouse, "result": result, "days": days}


def test_a_day_with_enormous_amounts_among_ordinary_orders_still_publishes(
    three_days: dict,
) -> None:
    """Two orders of 9,999,999,999,999,999.99 among 250 ordinary ones (06-17): the two are
    quarantined as out of range (0.8% of the day, under the 1% bar), the marts build and
    publish, and the day's GMV is the ordinary orders' 250 × 100.00."""
    assert "orders: item_amount_out_of_range" in three_days["result"].stdout
    warehouse = three_days["warehouse"]
    published = Settings(warehouse_path=warehouse).published_path
    day = "select gmv, orders from marts.gmv_daily where day = '2021-06-17'"
    assert query(published, day) == [(25000, 250)]
    assert query(warehouse, "select count(*) from raw.rejected_rows") == [(2,)]
    huge_loaded = "select count(*) from raw.orders where order_id like 'huge%'"
    assert query(warehouse, huge_loaded) == [(0,)]


def test_a_reexport_that_drops_an_order_removes_it(three_days: dict) -> None:
    """A corrected re-export of a partition without one of its orders removes that order from
    the incremental models and every mart, like a full build would."""
    landing, warehouse = three_days["landing"], three_days["warehouse"]
    counted = "select order_id from marts.fct_orders where order_id in ('A', 'B', 'C') order by 1"
    assert query(warehouse, counted) == [("A",), ("B",), ("C",)]

    write_csv(landing / "orders" / "dt=2021-06-15" / "orders.csv",
              [{**three_days["days"]["2021-06-15"], "order_id": "A"}])  # fmt: skip
    common = ["run", "--landing", str(landing), "--warehouse", str(warehouse)]
    result = lcw(*common, "--from", "2021-06-15", "--to", "2021-06-15")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert query(warehouse, counted) == [("A",), ("C",)]
    # Each order paid 100.00: June 15 keeps only A; the other days are as they were.
    assert query(warehouse, "select day::varchar, gmv from marts.gmv_daily order by 1") == [
        ("2021-06-15", Decimal("100.00")), ("2021-06-16", Decimal("100.00")),
        ("2021-06-17", Decimal("25000.00")),
    ]  # fmt: skip

"""Simulated landing files → `lcw run` (Dagster + dbt + DuckDB) → marts, checked against the
independent pure-Python oracle in tests/oracle/ over the same files."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterEventType, DagsterInstance
from helpers import lcw, query, query_dicts
from oracle import compute_headlines, compute_marts

# mart → (key columns, compared columns); the oracle keys rows by the same tuples.
COMPARED = {
    "fct_orders": (
        ["order_id"],
        [
            "buyer_id", "shop_id", "streamer_id", "session_id", "category", "entry_point",
            "paid_date", "gmv", "refund_amount", "net_gmv", "traffic_domain",
            "platform_order_seq", "shop_order_seq", "is_platform_repurchase", "is_shop_repurchase",
        ],
    ),
    "gmv_daily": (
        ["day"],
        [
            "orders", "buyers", "gmv", "refund_amount", "net_gmv", "private_gmv", "public_gmv",
            "placed_orders", "placed_gmv", "refunds_recorded",
        ],
    ),
    "repurchase_rate": (
        ["period_grain", "period_start", "scope", "scope_id"],
        ["buyers", "repeat_buyers", "repeat_purchase_rate"],
    ),
    "returning_buyers_monthly": (
        ["month_start", "scope", "scope_id"],
        ["buyers", "returning_buyers", "returning_buyer_share"],
    ),
    "private_domain_share_monthly": (
        ["month_start", "scope", "scope_id"],
        [
            "gmv", "private_gmv", "private_domain_share", "orders", "private_orders",
            "repurchase_orders", "private_repurchase_orders", "repurchase_private_share",
        ],
    ),
    "enforcement_daily": (
        ["day", "action_type", "reason", "campaign"],
        ["actions", "distinct_targets", "distinct_gangs", "gang_accounts", "distinct_cases",
         "amount_involved"],
    ),
    "enforcement_monthly": (
        ["month_start", "action_type", "reason", "campaign"],
        ["actions", "distinct_targets", "distinct_gangs", "gang_accounts", "distinct_cases",
         "amount_involved"],
    ),
    "enforcement_commerce_monthly": (
        ["month_start"], ["gmv", "penalised_gmv", "penalised_gmv_share"],
    ),
    "fct_livestream_sessions": (
        ["session_id"],
        [
            "streamer_id", "started_at", "session_date", "viewers", "follower_viewers",
            "public_viewers", "watch_minutes", "peak_concurrent", "interactions", "orders",
            "buyers", "gmv", "private_gmv",
        ],
    ),
    "gmv_decomposition_monthly": (
        ["month_start", "streamer_id"],
        [
            "sessions", "viewers", "private_viewers", "public_viewers", "watch_minutes", "orders",
            "buyers", "gmv", "watch_minutes_per_viewer", "buyers_per_watch_minute",
            "avg_order_value", "orders_per_buyer",
        ],
    ),
    "gmv_monthly_by_dimension": (
        ["month_start", "dimension", "dimension_value"],
        [
            "gmv", "net_gmv", "orders", "buyers", "prior_month_gmv", "prior_year_gmv",
            "mom_growth", "yoy_growth",
        ],
    ),
    "festival_gmv": (
        ["festival_id"],
        [
            "festival_name", "start_date", "end_date", "festival_days", "gmv", "orders",
            "festival_daily_gmv", "baseline_days", "baseline_gmv", "baseline_daily_gmv", "uplift",
        ],
    ),
    "fan_tier_monthly": (
        ["month_start", "fan_tier"],
        [
            "streamers", "sessions", "gmv", "total_sessions", "total_gmv", "session_share",
            "gmv_share",
        ],
    ),
    "cohort_retention": (
        ["cohort_month", "scope", "scope_id"],
        [
            "cohort_buyers", "retained_30d", "retention_30d", "retained_90d", "retention_90d",
            "retained_180d", "retention_180d",
        ],
    ),
    "dim_shop_trust_rights": (["shop_id", "trust_right", "enabled_at"], ["disabled_at"]),
    "trust_card_impact": (
        ["shop_id", "trust_right", "enabled_at"],
        [
            "before_buyers", "before_repeat_buyers", "before_rate", "after_buyers",
            "after_repeat_buyers", "after_rate", "control_before_buyers",
            "control_before_repeat_buyers", "control_before_rate", "control_after_buyers",
            "control_after_repeat_buyers", "control_after_rate", "diff_in_diff",
            "after_window_complete",
        ],
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def oracle_marts(simulated_landing: Path) -> dict:
    return compute_marts(simulated_landing)


def mart_rows(warehouse: Path, mart: str) -> dict[tuple, dict]:
    keys, columns = COMPARED[mart]
    rows = query_dicts(warehouse, f"select {', '.join(keys + columns)} from marts.{mart}")
    return {tuple(row[k] for k in keys): row for row in rows}


def assert_same(actual: object, expected: object, where: str) -> None:
    if isinstance(expected, float):
        assert actual == pytest.approx(expected, rel=1e-9), where
    else:
        assert actual == expected, where


@pytest.mark.parametrize("mart", sorted(COMPARED))
def test_mart_matches_oracle(mart: str, e2e_warehouse: Path, oracle_marts: dict) -> None:
    actual = mart_rows(e2e_warehouse, mart)
    expected = oracle_marts[mart]
    assert len(expected) > 0, "the simulated data should exercise every mart"
    assert set(actual) == set(expected), f"{mart}: keys differ"
    for key, expected_row in expected.items():
        for column in COMPARED[mart][1]:
            assert_same(actual[key][column], expected_row[column], f"{mart} {key} {column}")


def test_simulation_exercises_the_metrics(oracle_marts: dict) -> None:
    """The comparison above is only as strong as the data: make sure the hard cases occur."""
    orders = oracle_marts["fct_orders"].values()
    assert any(o["traffic_domain"] == "private" for o in orders)
    assert any(o["traffic_domain"] == "public" and o["streamer_id"] for o in orders)
    assert any(o["streamer_id"] is None for o in orders)
    assert any(o["refund_amount"] > 0 for o in orders)
    assert any(o["is_platform_repurchase"] for o in orders)
    months = {k[0] for k in oracle_marts["returning_buyers_monthly"]}
    assert len(months) >= 2
    returning = oracle_marts["returning_buyers_monthly"].values()
    assert any(r["returning_buyers"] > 0 for r in returning)


def test_headline_figures_match_oracle(simulated_landing: Path, e2e_warehouse: Path) -> None:
    (actual,) = query_dicts(e2e_warehouse, "select * from marts.headline_figures")
    expected = compute_headlines(simulated_landing)
    assert actual["gmv"] == expected["gmv"]
    assert actual["net_gmv"] == expected["net_gmv"]
    assert actual["brushing_interceptions"] == expected["brushing_interceptions"]
    assert actual["brushing_interceptions_per_day"] == pytest.approx(
        expected["brushing_interceptions_per_day"]
    )
    assert actual["live_rooms_banned_private_order"] == expected["rooms_banned_private_order"]
    for figure in (
        "gangs_cleared", "accounts_cleared", "police_referrals", "referral_cases",
        "referral_amount", "pinocchio_sessions", "pinocchio_reporters", "pinocchio_penalties",
    ):  # fmt: skip
        assert actual[figure] == expected[figure], figure


def test_published_contract_types(e2e_warehouse: Path) -> None:
    """Money is decimal(18,2) and rates are double in every published mart (METRICS.md)."""
    columns = {
        (table, column): data_type
        for table, column, data_type in query(
            e2e_warehouse,
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_schema = 'marts'",
        )
    }
    money = [c for c in columns if c[1] in ("gmv", "net_gmv", "refund_amount", "private_gmv")]
    rates = [c for c in columns if c[1].endswith(("_rate", "_share"))]
    assert money and rates
    assert {columns[c] for c in money} == {"DECIMAL(18,2)"}
    assert {columns[c] for c in rates} == {"DOUBLE"}
    assert columns[("gmv_daily", "day")] == "DATE"
    assert columns[("enforcement_daily", "campaign")] == "VARCHAR"


def test_personal_data_never_leaves_raw(simulated_landing: Path, e2e_warehouse: Path) -> None:
    phones = query(e2e_warehouse, "select count(*) from raw.orders where receiver_phone <> ''")
    assert phones[0][0] > 0, "the simulator should include personal data to prove it is dropped"
    named = query(
        e2e_warehouse,
        "select table_schema, table_name, column_name from information_schema.columns "
        "where column_name like 'receiver%' and table_schema <> 'raw'",
    )
    assert named == []
    # No value of a personal-data column appears in any text column outside raw.
    text_columns = query(
        e2e_warehouse,
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_schema not in ('raw') and data_type = 'VARCHAR'",
    )
    for schema, table, column in text_columns:
        hits = query(
            e2e_warehouse,
            f'select count(*) from "{schema}"."{table}" where "{column}" in '
            "(select receiver_phone from raw.orders union select receiver_address from raw.orders)",
        )
        assert hits[0][0] == 0, f"{schema}.{table}.{column} holds personal data"


def test_counts_add_up(e2e_warehouse: Path) -> None:
    """Every row read is loaded or rejected, per source and partition."""
    audit = query(
        e2e_warehouse,
        "select source, partition_dt, rows_read, rows_loaded, rows_rejected from raw.load_audit",
    )
    assert audit
    for source, dt, read, loaded, rejected in audit:
        assert read == loaded + rejected, (source, dt)
        in_raw = query(
            e2e_warehouse, f"select count(*) from raw.{source} where _partition_dt = '{dt}'"
        )[0][0]
        assert in_raw == loaded, (source, dt)


def snapshot_marts(warehouse: Path) -> dict[str, list[tuple]]:
    tables = [
        t
        for (t,) in query(
            warehouse,
            "select table_name from information_schema.tables "
            "where table_schema = 'marts' order by 1",
        )
    ]
    return {t: query(warehouse, f"select * from marts.{t} order by all") for t in tables}


def test_rerun_leaves_marts_identical(simulated_landing: Path, e2e_warehouse: Path) -> None:
    """A re-run over unchanged landing files does nothing; a re-run after every file was
    re-exported unchanged (new modification times) reloads everything into identical marts."""
    from orchestration.settings import Settings

    published = Settings(warehouse_path=e2e_warehouse).published_path
    published_at = published.stat().st_mtime_ns
    before = snapshot_marts(e2e_warehouse)
    raw_before = query(e2e_warehouse, "select count(*), sum(paid_amount) from raw.orders")
    args = ["run", "--landing", str(simulated_landing), "--warehouse", str(e2e_warehouse)]
    result = lcw(*args)
    assert result.returncode == 0, result.stderr
    assert "Nothing changed since the last build" in result.stdout
    assert published.stat().st_mtime_ns == published_at

    for path in simulated_landing.rglob("*.*"):
        os.utime(path)
    result = lcw(*args)
    assert result.returncode == 0, result.stderr
    assert "Nothing changed" not in result.stdout
    assert published.stat().st_mtime_ns > published_at
    assert query(e2e_warehouse, "select count(*), sum(paid_amount) from raw.orders") == raw_before
    assert snapshot_marts(e2e_warehouse) == before
    assert sum(len(rows) for rows in before.values()) > 0
    assert isinstance(before["gmv_daily"][0][3], Decimal)


def test_published_copy_holds_the_marts_and_nothing_else(e2e_warehouse: Path) -> None:
    from orchestration.settings import Settings

    published = Settings(warehouse_path=e2e_warehouse).published_path
    schemas = {
        s
        for (s,) in query(published, "select distinct table_schema from information_schema.tables")
    }
    assert schemas == {"marts"}
    # BI queries use the same names as in the warehouse.
    assert query(published, "select sum(gmv) from marts.gmv_daily") == query(
        e2e_warehouse, "select sum(gmv) from marts.gmv_daily"
    )


def test_incremental_runs_equal_a_full_build(
    simulated_landing: Path, e2e_warehouse: Path, tmp_path: Path, isolated_dagster_home: Path
) -> None:
    """Loading the same landing in three windows (incremental dbt models, late refunds arriving
    in later windows) leaves every mart identical to one full build."""
    warehouse = tmp_path / "incremental.duckdb"
    windows = [("2021-06-10", "2021-06-20"), ("2021-06-21", "2021-06-26"), ("2021-06-27", None)]
    for start, end in windows:
        args = ["run", "--landing", str(simulated_landing), "--warehouse", str(warehouse)]
        args += ["--from", start] + (["--to", end] if end else [])
        result = lcw(*args)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # The windows really split orders: some paid in the first window were refunded in a later one.
    (late_refunds,) = query(
        warehouse,
        "select count(distinct order_id) from raw.orders where _partition_dt > '2021-06-20' "
        "and refund_amount > 0 and order_id in (select order_id from raw.orders "
        "where _partition_dt <= '2021-06-20' and paid_at is not null)",
    )[0]
    assert late_refunds > 0
    assert snapshot_marts(warehouse) == snapshot_marts(e2e_warehouse)
    # The later runs' publishes patched the large marts into a copy of the previous file (the first
    # copied every mart): the published copy is still the warehouse's marts, row for row.
    from orchestration.settings import Settings

    with DagsterInstance.from_config(str(isolated_dagster_home)) as instance:
        records = instance.get_run_records(limit=len(windows))  # this test's, newest first
        runs = [record.dagster_run.run_id for record in records][::-1]
        how = [
            tuple(
                entry.dagster_event.materialization.metadata[table].value
                for table in ("fct_orders", "fct_livestream_sessions")
            )
            for run_id in runs
            for entry in instance.all_logs(run_id, DagsterEventType.ASSET_MATERIALIZATION)
            if entry.dagster_event.asset_key == AssetKey(["published", "marts"])
        ]
    assert how == [("copied in full",) * 2, ("patched",) * 2, ("patched",) * 2]
    published = snapshot_marts(Settings(warehouse_path=warehouse).published_path)
    for load_statistics in ("load_quality_daily", "rejected_rows_daily"):  # not marts
        del published[load_statistics]
    assert published == snapshot_marts(warehouse)
    latest = "select * exclude (exported_on) from intermediate.int_orders_latest order by all"
    assert query(warehouse, latest) == query(e2e_warehouse, latest)

"""Every incremental path equals a full refresh, row for row.

The raw tables of the e2e warehouse (the simulated landing after `lcw run`, plus a few planted
orders) are replayed into a fresh warehouse window by window, the way ingestion replaces export
partitions: each window's partitions are replaced in `raw`, then dbt runs every model with the
window in LCW_EXPORT_DATE_FROM/TO (as `orchestration/defs/dbt/assets.py` does). Every table of
`intermediate` and `marts` must then equal a full refresh over the same raw rows. No Dagster
here: only raw tables and dbt, run in this process (dbtRunner) on the project parsed once for
the module; the CLI adds nothing under test, and a process per run would parse again each time.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import date, timedelta
from pathlib import Path
from unittest import mock

import duckdb
import pytest
from helpers import REPO_ROOT, assert_same_as, snapshot

from orchestration.defs.dbt.assets import EXPORT_WINDOW_ENV

SOURCES = [
    "orders", "follows", "livestream_sessions", "streamers", "trust_card_events",
    "enforcement_actions",
]  # fmt: skip
WAREHOUSE = "warehouse.duckdb"
# The raw.orders columns of the planted rows below, in their order (insert_orders adds
# _source_file 'planted').
PLANTED_COLUMNS = """
    order_id, buyer_id, shop_id, streamer_id, session_id, product_id, category, quantity,
    item_amount, discount_amount, paid_amount, refund_amount, status, entry_point, created_at,
    paid_at, updated_at, _partition_dt, _source_row
"""


def version(
    order_id: str,
    buyer_id: str,
    paid: str,
    refund: str,
    status: str,
    created_at: str,
    paid_at: str,
    updated_at: str,
    exported_on: str,
    row: int,
) -> str:
    """One planted order version as a SQL `values` tuple of PLANTED_COLUMNS: shop sh_planted, no
    streamer or session, one item of p1 in category c at `paid` (no discount, paid in full),
    refunded `refund` so far, entered by search."""
    return (
        f"('{order_id}', '{buyer_id}', 'sh_planted', null, null, 'p1', 'c', 1, {paid}, 0.00, "
        f"{paid}, {refund}, '{status}', 'search', '{created_at}', '{paid_at}', '{updated_at}', "
        f"date '{exported_on}', {row})"
    )


# Planted order versions, beside the simulated ones:
# a late refund that crosses a year (paid 2020-12-31 23:30 Beijing, exported that day; refunded
# by a version exported 2021-06-20) and a buyer whose first order is exported late (paid 06-11,
# exported 06-28, after the buyer's second order, paid and exported 06-15); and the orders of
# shop sh_new_holder, which holds no trust right until 2021-06-20 (PLANTED_TRUST_CARD_EVENTS):
# a buyer with two orders in the before-window of sh_planted's enablement and one with an order
# in its after-window; and of shop sh_lost_holder, whose only enablement a re-export withdraws.
# And orders that no window changes in the months before those the windows change: the prior
# month of December 2020, the prior year of June 2021 and of January 2021 (whose prior month,
# December 2020, changes), so a month mart must carry their stored figures forward.
PLANTED_ORDERS = ", ".join([
    version("yr_o1", "yr_b1", "100.00", "0.00", "paid", "2020-12-31 23:20:00+08",
            "2020-12-31 23:30:00+08", "2020-12-31 23:30:00+08", "2020-12-31", 1),
    version("yr_o1", "yr_b1", "100.00", "40.00", "refunded", "2020-12-31 23:20:00+08",
            "2020-12-31 23:30:00+08", "2021-06-20 10:00:00+08", "2021-06-20", 1),
    version("late_o1", "late_b1", "50.00", "0.00", "paid", "2021-06-11 09:00:00+08",
            "2021-06-11 09:05:00+08", "2021-06-11 09:05:00+08", "2021-06-28", 1),
    version("late_o2", "late_b1", "60.00", "0.00", "paid", "2021-06-15 09:00:00+08",
            "2021-06-15 09:05:00+08", "2021-06-15 09:05:00+08", "2021-06-15", 1),
    *(version(order_id, buyer_id, "30.00", "0.00", "paid", f"{day} 09:00:00+08",
              f"{day} 09:05:00+08", f"{day} 09:05:00+08", day, 1,
              ).replace("'sh_planted'", f"'{shop_id}'")
      for order_id, buyer_id, shop_id, day in [
          ("nh_o1", "nh_b1", "sh_new_holder", "2020-12-01"),
          ("nh_o2", "nh_b1", "sh_new_holder", "2021-01-05"),
          ("nh_o3", "nh_b2", "sh_new_holder", "2021-02-10"),
          ("lh_o1", "lh_b1", "sh_lost_holder", "2020-12-15"),
          ("cf_o1", "cf_b1", "sh_planted", "2020-01-15"),
          ("cf_o2", "cf_b1", "sh_planted", "2020-06-15"),
          ("cf_o3", "cf_b2", "sh_planted", "2020-11-20"),
      ]),
])  # fmt: skip

# sh_planted enables a right long before the replayed windows; sh_new_holder enables the same
# right in one of them. Its pairs then leave the control arm of sh_planted's enablement, whose
# windows no changed order reaches: the run corrects that enablement's stored control arm.
PLANTED_TRUST_CARD_EVENTS = [
    ("tc_planted", "sh_planted", "2021-01-10 10:00:00+08", "2021-01-10"),
    ("tc_new_holder", "sh_new_holder", "2021-06-20 10:00:00+08", "2021-06-20"),
]
# An enablement that a corrected re-export of 2021-06-20 withdraws: its shop's pairs come back to
# the control arm of sh_planted's enablement.
DROPPED_TRUST_CARD_EVENTS = [
    ("tc_lost_holder", "sh_lost_holder", "2021-06-20 11:00:00+08", "2021-06-20"),
]

# Rows that a corrected re-export of 2021-06-20 no longer carries: an order that disappears and a
# refund version of a planted order that is withdrawn.
DROPPED_BY_REEXPORT = ", ".join([
    version("ghost_o1", "yr_b1", "70.00", "0.00", "paid", "2021-06-20 09:00:00+08",
            "2021-06-20 09:05:00+08", "2021-06-20 09:05:00+08", "2021-06-20", 2),
    version("late_o2", "late_b1", "60.00", "60.00", "refunded", "2021-06-15 09:00:00+08",
            "2021-06-15 09:05:00+08", "2021-06-20 11:00:00+08", "2021-06-20", 3),
    # The only order of its shop: the shop's repurchase and returning-buyer rows must go too.
    version("ghost_o2", "ghost_b2", "80.00", "0.00", "paid", "2021-06-20 09:00:00+08",
            "2021-06-20 09:05:00+08", "2021-06-20 09:05:00+08", "2021-06-20", 4,
            ).replace("'sh_planted'", "'sh_ghost'"),
])  # fmt: skip


# A session of 2021-06-15 exported again on 2021-06-22 with more viewers: the run of the later
# window recomputes it from both versions and keeps the later one.
REEXPORTED_SESSION = (
    "insert into raw.livestream_sessions select * replace (viewers + 7 as viewers, "
    "date '2021-06-22' as _partition_dt, 'planted' as _source_file) from raw.livestream_sessions "
    "where _partition_dt = date '2021-06-15' order by session_id limit 1"
)


# The last streamer snapshot delivered twice in the same export, the second time in a later file
# with another follower count: the later file wins, in the latest snapshot and the month's tier.
REDELIVERED_SNAPSHOT = (
    "insert into raw.streamers select * replace (follower_count * 1000 + 1 as follower_count, "
    "'zz_redelivered' as _source_file) from raw.streamers "
    "where _partition_dt = (select max(_partition_dt) from raw.streamers) "
    "order by streamer_id limit 1"
)


def insert_orders(conn: duckdb.DuckDBPyConnection, values_sql: str) -> None:
    """Rows of PLANTED_COLUMNS, given as SQL `values` tuples, inserted into raw.orders."""
    conn.execute(
        "insert into raw.orders by name select * replace (cast(created_at as timestamptz) as "
        "created_at, cast(paid_at as timestamptz) as paid_at, cast(updated_at as timestamptz) "
        f"as updated_at), 'planted' as _source_file from (values {values_sql}) "
        f"as planted ({PLANTED_COLUMNS})"
    )


def insert_trust_card_events(conn: duckdb.DuckDBPyConnection, events: list[tuple]) -> None:
    """Planted events (id, shop, event_at, export date), each enabling fake_one_pay_ten."""
    conn.executemany(
        "insert into raw.trust_card_events by name select ? as event_id, ? as shop_id, "
        "'fake_one_pay_ten' as \"right\", 'enabled' as event_type, "
        "cast(? as timestamptz) as event_at, cast(? as date) as _partition_dt, "
        "'planted' as _source_file, 1 as _source_row",
        events,
    )


@pytest.fixture(scope="module")
def parsed_project(tmp_path_factory: pytest.TempPathFactory):
    """The dbt project parsed once, for every dbt run of the module. The warehouse path is a var
    only the profile reads, and the models' database is the file's name, so one manifest serves
    every warehouse below: each is a warehouse.duckdb (WAREHOUSE) in a folder of its own."""
    from dbt.cli.main import dbtRunner

    folder = tmp_path_factory.mktemp("incremental_parse")
    result = dbtRunner().invoke(["parse", *dbt_args(folder / WAREHOUSE, folder / "target")])
    assert result.success, result.exception
    return result.result


def dbt_args(warehouse: Path, target: Path) -> list[str]:
    return [
        "--project-dir", str(REPO_ROOT / "dbt_project"),
        "--profiles-dir", str(REPO_ROOT / "dbt_project"),
        "--target-path", str(target),
        "--vars", json.dumps({"warehouse_path": str(warehouse)}),
    ]  # fmt: skip


def invoke_dbt(
    manifest, warehouse: Path, target: Path, *args: str, window: tuple[date, date] | None = None
):
    """`dbt <args>` on `warehouse`, with the export-date window in the environment as Dagster
    passes it (none: every row, as on a first build): dbt's result."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.cli.main import dbtRunner

    dates = [d.isoformat() for d in window] if window else ["", ""]
    with mock.patch.dict(os.environ, zip(EXPORT_WINDOW_ENV, dates, strict=True)):
        try:
            return dbtRunner(manifest=manifest).invoke([*args, *dbt_args(warehouse, target)])
        finally:
            # dbt-duckdb keeps the database open in this process after the invocation; closed,
            # the test can open the file with a configuration of its own.
            DuckDBConnectionManager.env().close()


def dbt(
    manifest, warehouse: Path, target: Path, *args: str, window: tuple[date, date] | None = None
) -> None:
    """`dbt <args>`, as invoke_dbt, which must succeed."""
    result = invoke_dbt(manifest, warehouse, target, *args, window=window)
    failures = [f"{r.node.name}: {r.message}" for r in getattr(result.result, "results", [])
                if r.status not in ("success", "pass")]  # fmt: skip
    assert result.success, (result.exception, failures)
    if window:
        # The window reached the models (without it they would process every row, and still
        # equal the full refresh): the streamers' state is read for the window's dates only.
        [compiled] = target.glob("compiled/**/int_streamers_latest.sql")
        assert f"'{window[1].isoformat()}'" in compiled.read_text()


def replace_partitions(warehouse: Path, reference: Path, first: date, last: date) -> None:
    """What ingestion does for a window: each source's partitions replaced by the reference's."""
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute(f"attach '{reference}' as reference (read_only)")
        for source in SOURCES:
            conn.execute(
                f"delete from raw.{source} where _partition_dt between ? and ?", [first, last]
            )
            conn.execute(
                f"insert into raw.{source} select * from reference.raw.{source} "
                "where _partition_dt between ? and ?",
                [first, last],
            )


def keep_partitions(warehouse: Path, before: date) -> None:
    with duckdb.connect(str(warehouse)) as conn:
        for source in SOURCES:
            conn.execute(f"delete from raw.{source} where _partition_dt >= ?", [before])


@pytest.fixture(scope="module")
def reference(
    e2e_warehouse: Path, parsed_project, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The e2e raw tables plus the planted orders, built by one full refresh."""
    folder = tmp_path_factory.mktemp("incremental")
    warehouse = folder / WAREHOUSE
    shutil.copy(e2e_warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as conn:
        insert_orders(conn, PLANTED_ORDERS)
        insert_trust_card_events(conn, PLANTED_TRUST_CARD_EVENTS)
        conn.execute(REEXPORTED_SESSION)
        conn.execute(REDELIVERED_SNAPSHOT)
    dbt(parsed_project, warehouse, folder / "target", "run", "--full-refresh")
    return warehouse


def replay(
    manifest, reference: Path, folder: Path, start: date, windows: list[tuple[date, date]]
) -> Path:
    """A warehouse holding the reference's partitions before `start`, built in full, then the
    windows replayed in the given order, each a run of every model (as `lcw run` does)."""
    warehouse = folder / WAREHOUSE
    shutil.copy(reference, warehouse)
    keep_partitions(warehouse, start)
    target = folder / "target"
    dbt(manifest, warehouse, target, "run", "--full-refresh")
    for first, last in windows:
        replace_partitions(warehouse, reference, first, last)
        dbt(manifest, warehouse, target, "run", window=(first, last))
    return warehouse


def a_day_restates(manifest, warehouse: Path, expected: Path, day: date) -> None:
    """`warehouse`, built in full, differs from `expected`; once its export `day` is replaced by
    `expected`'s and run alone, it equals `expected`."""
    target = warehouse.parent / "target"
    dbt(manifest, warehouse, target, "run", "--full-refresh")
    assert snapshot(warehouse) != snapshot(expected)
    replace_partitions(warehouse, expected, day, day)
    dbt(manifest, warehouse, target, "run", window=(day, day))
    assert_same_as(warehouse, expected)


def test_windows_in_order(reference: Path, parsed_project, tmp_path: Path) -> None:
    """Late refunds (one crossing a year), a late first order, a new holder of a trust right, a
    session's second export and a snapshot delivered twice arrive in later windows."""
    windows = [(date(2021, 6, 14), date(2021, 6, 19)), (date(2021, 6, 20), date(2021, 6, 26)),
               (date(2021, 6, 27), date(2021, 7, 1))]  # fmt: skip
    replayed = replay(parsed_project, reference, tmp_path, date(2021, 6, 14), windows)
    assert_same_as(replayed, reference)
    with duckdb.connect(str(replayed), read_only=True) as conn:
        kept, reexported = conn.execute(
            "select kept.viewers, planted.viewers from intermediate.int_livestream_sessions "
            "as kept inner join raw.livestream_sessions as planted using (session_id) "
            "where planted._source_file = 'planted'"
        ).fetchone()
        latest, of_the_month, redelivered = conn.execute(
            "select latest.follower_count, monthly.follower_count, planted.follower_count "
            "from raw.streamers as planted "
            "inner join intermediate.int_streamers_latest as latest using (streamer_id) "
            "inner join intermediate.int_streamer_monthly_fan_tiers as monthly "
            "on monthly.streamer_id = planted.streamer_id "
            "and monthly.month_start = date_trunc('month', planted._partition_dt) "
            "where planted._source_file = 'zz_redelivered'"
        ).fetchone()
    assert kept == reexported  # REEXPORTED_SESSION: the later export wins
    assert latest == of_the_month == redelivered  # REDELIVERED_SNAPSHOT: the later file wins


def test_windows_out_of_order(reference: Path, parsed_project, tmp_path: Path) -> None:
    """Later export dates loaded first, then the gap before them, one day at a time at the end:
    each day's window is that day alone (no look-back), beside dates already built."""
    windows = [(date(2021, 6, 25), date(2021, 7, 1)), (date(2021, 6, 12), date(2021, 6, 18))]
    windows += [(date(2021, 6, 19) + timedelta(days=d),) * 2 for d in range(6)]
    replayed = replay(parsed_project, reference, tmp_path, date(2021, 6, 12), windows)
    assert_same_as(replayed, reference)


def test_a_reexport_that_drops_rows(reference: Path, parsed_project, tmp_path: Path) -> None:
    """A corrected re-export of 2021-06-20 drops two orders (one the only order of its shop),
    withdraws a refund version, a follow made just before a payment and a shop's only trust-card
    enablement: the orders and the shop's rows disappear, the refund is undone, the paid order is
    public again and the shop is back in the control arm, exactly as in a full refresh without
    them."""
    warehouse = tmp_path / WAREHOUSE
    shutil.copy(reference, warehouse)
    with duckdb.connect(str(warehouse)) as conn:
        insert_orders(conn, DROPPED_BY_REEXPORT)
        insert_trust_card_events(conn, DROPPED_TRUST_CARD_EVENTS)
        conn.execute(
            "insert into raw.follows by name select 'ghost_f1' as event_id, "
            "buyer_id as follower_id, streamer_id, 'follow' as event_type, "
            "paid_at - interval 1 minute as event_at, date '2021-06-20' as _partition_dt, "
            "'planted' as _source_file, 1 as _source_row from raw.orders "
            "where streamer_id is not null and paid_at is not null order by order_id limit 1"
        )
    a_day_restates(parsed_project, warehouse, reference, date(2021, 6, 20))


def test_a_uniqueness_test_of_a_daily_run_checks_the_keys_it_wrote(
    reference: Path, parsed_project, tmp_path: Path
) -> None:
    """In an incremental run, the uniqueness tests of fct_orders and int_orders_latest check every
    key of a row the run wrote, against the whole table (macros/tests/where_subquery.sql): a
    stale copy of a written order under another buyer fails fct_orders', a second copy of a
    touched order int_orders_latest's. A duplicate among rows no run wrote since their last
    check is left to a build without a window, which checks every key."""
    warehouse, target = tmp_path / WAREHOUSE, tmp_path / "target"
    shutil.copy(reference, warehouse)
    day = date(2021, 6, 20)
    dbt(parsed_project, warehouse, target, "run", window=(day, day))
    test = ("test", "--select", "fct_orders,test_name:unique")
    assert invoke_dbt(parsed_project, warehouse, target, *test, window=(day, day)).success
    written = "buyer_id in (select buyer_id from intermediate.int_touched_buyers)"
    with duckdb.connect(str(warehouse)) as conn:
        [untouched_buyer] = conn.execute(
            f"select min(buyer_id) from marts.fct_orders where not ({written})"
        ).fetchone()
        [written_order] = conn.execute(
            f"select min(order_id) from marts.fct_orders where {written}"
        ).fetchone()
        conn.execute(
            "insert into marts.fct_orders select * replace (? as buyer_id) from marts.fct_orders "
            "where order_id = ?",
            [untouched_buyer, written_order],
        )
    assert not invoke_dbt(parsed_project, warehouse, target, *test, window=(day, day)).success
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute(
            "delete from marts.fct_orders where order_id = ? and buyer_id = ?",
            [written_order, untouched_buyer],
        )
        conn.execute(
            "insert into marts.fct_orders select * from marts.fct_orders "
            f"where not ({written}) order by order_id limit 2"
        )
    assert invoke_dbt(parsed_project, warehouse, target, *test, window=(day, day)).success
    assert not invoke_dbt(parsed_project, warehouse, target, *test).success
    # int_orders_latest's written keys come from its <model>__touched: a second copy of an order
    # the run touched fails its test too.
    latest = ("test", "--select", "int_orders_latest,test_name:unique")
    assert invoke_dbt(parsed_project, warehouse, target, *latest, window=(day, day)).success
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute(
            "insert into intermediate.int_orders_latest select * from "
            "intermediate.int_orders_latest where order_id = (select min(order_id) from "
            "intermediate.int_orders_latest where order_id in (select order_id from "
            "intermediate.int_orders_latest__touched))"
        )
    assert not invoke_dbt(parsed_project, warehouse, target, *latest, window=(day, day)).success


def test_a_run_drops_the_tables_of_retired_models(
    reference: Path, parsed_project, tmp_path: Path
) -> None:
    """A warehouse built before a model was removed still holds its table (dbt never drops the
    relation of a model it no longer has); any dbt invocation drops the retired models' tables
    (macros/retired_models.sql) and no other."""
    warehouse, target = tmp_path / WAREHOUSE, tmp_path / "target"
    shutil.copy(reference, warehouse)
    tables = "select schema_name, table_name from duckdb_tables() order by all"
    with duckdb.connect(str(warehouse)) as conn:
        kept = conn.execute(tables).fetchall()
        for retired in ("int_order_sequences", "int_orders_attributed"):
            conn.execute(f"create table intermediate.{retired} as select 'o1' as order_id")
    day = date(2021, 6, 20)
    run = ("run", "--select", "dim_fan_tiers")
    assert invoke_dbt(parsed_project, warehouse, target, *run, window=(day, day)).success
    with duckdb.connect(str(warehouse)) as conn:
        assert conn.execute(tables).fetchall() == kept


def a_streamer_order_of_a_buyer_without_follows(warehouse: Path) -> tuple[str, str, object]:
    """(buyer, streamer, paid_at) of the first paid order with a streamer whose buyer follows no
    one: a follow of that streamer a minute before the payment makes it a private-domain order."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute(
            "select buyer_id, streamer_id, paid_at from raw.orders as o "
            "where streamer_id is not null and paid_at is not null "
            "and not exists (select 1 from raw.follows as f where f.follower_id = o.buyer_id) "
            "order by order_id limit 1"
        ).fetchone()


def insert_follows(warehouse: Path, events: list[tuple]) -> None:
    """Planted follow events (id, follower, streamer, event_at, export date) in raw.follows."""
    with duckdb.connect(str(warehouse)) as conn:
        conn.executemany(
            "insert into raw.follows by name select ? as event_id, ? as follower_id, "
            "? as streamer_id, 'follow' as event_type, cast(? as timestamptz) as event_at, "
            "cast(? as date) as _partition_dt, 'planted' as _source_file, 1 as _source_row",
            events,
        )


@pytest.mark.parametrize("moved_on", ["2021-06-20", "2021-06-16"])
def test_a_later_export_that_moves_a_follow_to_another_follower(
    reference: Path, parsed_project, tmp_path: Path, moved_on: str
) -> None:
    """A follow exported on 2021-06-14 under the buyer of a streamer's order, a minute before its
    payment, is exported again under another follower: the latest export of an event wins, so
    the buyer no longer follows and the order is public again, as in a full refresh.
    - Moved by the day the run processes (06-20): the buyer has no other follow event, so only
      the event's earlier version names them.
    - Moved before (06-16), and the buyer follows someone else on 06-20: the run recomputes the
      buyer's follows from the latest version of each of their events, not from the versions
      that name them."""
    buyer, streamer, paid_at = a_streamer_order_of_a_buyer_without_follows(reference)
    day = date(2021, 6, 20)
    before_a_payment = paid_at - timedelta(minutes=1)
    events = [
        ("moved_f1", buyer, streamer, before_a_payment, date(2021, 6, 14)),
        ("moved_f1", "moved_b1", streamer, before_a_payment, date.fromisoformat(moved_on)),
    ]
    if moved_on != day.isoformat():
        events.append(("again_f1", buyer, "s_elsewhere", before_a_payment, day))
    expected = tmp_path / "expected" / WAREHOUSE
    expected.parent.mkdir()
    shutil.copy(reference, expected)
    insert_follows(expected, events)
    dbt(parsed_project, expected, expected.parent / "target", "run", "--full-refresh")

    warehouse = tmp_path / WAREHOUSE
    shutil.copy(reference, warehouse)
    insert_follows(warehouse, [event for event in events if event[4] < day])
    a_day_restates(parsed_project, warehouse, expected, day)

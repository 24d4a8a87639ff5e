"""`dbt build` on the hand-checkable sample in seeds/sample (no Dagster): the CI-on-seeds path.

Every expected figure below is worked out by hand from the seed CSVs; the arithmetic is in the
comments. Sample in short (all times Beijing unless noted):
  o1  b1 sh1 s1  paid 06-01 20:00  100.00  refunded 30.00 by a version exported 06-11  follower
  o2  b1 sh1 s1  paid 06-15 23:59:59  50.00                                   follower
  o3  b1 sh2 s2  paid 2021-06-15T16:00Z = 06-16 00:00  40.00 (created 06-15 23:59:30);
      b1 does not follow s2
  o4  b2 sh1 s1  created then paid 06-10 11:00  80.00; b2 follows s1 at 12:00, after paying
  o5  b3 sh2 s2  paid 06-06 10:00  60.00 (exported twice); b3 unfollowed s2 on 06-05
  o6  b3 sh2 s2  paid 06-21 10:00  60.00; b3 re-followed s2 on 06-20
  o7  b2 sh2 --  paid 07-02 09:00  25.50, no streamer
  o8  b2 sh1 s1  created 06-12, cancelled unpaid (item 30.00): placed, never counted
  o9, o10  b4 sh1 s1  both paid 07-05 12:00:00 (20.00, 10.00); b4 never followed
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from helpers import query, query_by_key

D = Decimal


def test_docs_generate_describes_every_mart_column(sample_project: Path) -> None:
    """`dbt docs generate` works, and every column of every mart has a description."""
    target = sample_project / "target"
    catalog = json.loads((target / "catalog.json").read_text())
    manifest = json.loads((target / "manifest.json").read_text())
    marts = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"
             and n["config"]["schema"] == "marts"]  # fmt: skip
    assert len(marts) >= 17
    for node in marts:
        assert node["description"].strip(), node["name"]
        built = catalog["nodes"][node["unique_id"]]["columns"]
        for column in built:
            assert node["columns"].get(column, {}).get("description"), f"{node['name']}.{column}"


def test_fct_orders(sample_warehouse: Path) -> None:
    rows = query_by_key(
        sample_warehouse,
        """select order_id, paid_date::varchar, gmv, refund_amount, net_gmv, traffic_domain,
                  platform_order_seq, shop_order_seq, streamer_order_seq
           from marts.fct_orders""",
    )
    # o8 was never paid, so it is not a counted order.
    assert sorted(rows) == ["o1", "o10", "o2", "o3", "o4", "o5", "o6", "o7", "o9"]
    # o1: the 06-11 refund version is the latest: net 100 - 30 = 70, still on its paid day 06-01.
    assert rows["o1"] == ("2021-06-01", D("100.00"), D("30.00"), D("70.00"), "private", 1, 1, 1)
    # o2 at 23:59:59 stays on 06-15; o3 at 16:00 UTC is 00:00 Beijing on 06-16.
    # b1's platform sequence: o1 (06-01), o2 (06-15), o3 (06-16) = 1, 2, 3; o3 is b1's first sh2 and
    # first s2 order.
    assert rows["o2"] == ("2021-06-15", D("50.00"), D("0.00"), D("50.00"), "private", 2, 2, 2)
    assert rows["o3"] == ("2021-06-16", D("40.00"), D("0.00"), D("40.00"), "public", 3, 1, 1)
    # Follow after payment (o4), unfollow before payment (o5), re-follow (o6):
    assert rows["o4"][4] == "public"
    assert rows["o5"][4] == "public"
    assert rows["o6"][4] == "private"
    # o7 has no streamer: public, no streamer sequence; it is b2's 2nd platform order (after o4).
    assert rows["o7"] == ("2021-07-02", D("25.50"), D("0.00"), D("25.50"), "public", 2, 1, None)
    # Same second: ties go by order_id as text, 'o10' < 'o9'.
    assert rows["o10"][5:] == (1, 1, 1)
    assert rows["o9"][5:] == (2, 2, 2)


def test_gmv_daily(sample_warehouse: Path) -> None:
    rows = query_by_key(
        sample_warehouse,
        """select day::varchar, orders, buyers, gmv, refund_amount, net_gmv, private_gmv,
                  public_gmv, placed_orders, placed_gmv, refunds_recorded
           from marts.gmv_daily""",
    )
    z = D("0.00")
    # day: orders, buyers, gmv, refund, net, private, public, placed_orders, placed_gmv, refunds
    assert rows == {
        # o1: paid 100, its later refund of 30 restates this day; placed 110 - 10
        "2021-06-01": (1, 1, D("100.00"), D("30.00"), D("70.00"), D("100.00"), z, 1, D("100.00"), z),  # noqa: E501
        "2021-06-06": (1, 1, D("60.00"), z, D("60.00"), z, D("60.00"), 1, D("60.00"), z),  # o5 once
        "2021-06-10": (1, 1, D("80.00"), z, D("80.00"), z, D("80.00"), 1, D("80.00"), z),  # o4
        # the o1 refund is also visible on its own day, 06-11, where nothing was paid or placed
        "2021-06-11": (0, 0, z, z, z, z, z, 0, z, D("30.00")),
        "2021-06-12": (0, 0, z, z, z, z, z, 1, D("30.00"), z),  # o8 placed only
        # o2 paid; o2 (50) and o3 (45 - 5 = 40) both created on 06-15: placed 2, 90.00
        "2021-06-15": (1, 1, D("50.00"), z, D("50.00"), D("50.00"), z, 2, D("90.00"), z),
        "2021-06-16": (1, 1, D("40.00"), z, D("40.00"), z, D("40.00"), 0, z, z),  # o3
        "2021-06-21": (1, 1, D("60.00"), z, D("60.00"), D("60.00"), z, 1, D("60.00"), z),  # o6
        "2021-07-02": (1, 1, D("25.50"), z, D("25.50"), z, D("25.50"), 1, D("25.50"), z),  # o7
        # o9 + o10 = 20 + 10, one buyer
        "2021-07-05": (2, 1, D("30.00"), z, D("30.00"), z, D("30.00"), 2, D("30.00"), z),
    }  # fmt: skip


def test_repurchase_rate(sample_warehouse: Path) -> None:
    rows = query_by_key(
        sample_warehouse,
        """select period_grain, period_start::varchar, scope, scope_id, buyers, repeat_buyers
           from marts.repurchase_rate""",
        key_columns=4,
    )
    # June, platform: b1 (o1, o2, o3), b3 (o5, o6) repeat; b2 (o4) once -> 2 of 3.
    assert rows[("month", "2021-06-01", "platform", "all")] == (3, 2)
    # July: b4 (o9, o10) repeats, b2 (o7) once -> 1 of 2.
    assert rows[("month", "2021-07-01", "platform", "all")] == (2, 1)
    # Q2 is June only here; Q3 is July.
    assert rows[("quarter", "2021-04-01", "platform", "all")] == (3, 2)
    assert rows[("quarter", "2021-07-01", "platform", "all")] == (2, 1)
    # 2021: b1 3 orders, b2 2 (o4, o7), b3 2, b4 2 -> 4 of 4.
    assert rows[("year", "2021-01-01", "platform", "all")] == (4, 4)
    # Shop sh2 in 2021: b1 (o3) once, b3 (o5, o6) twice, b2 (o7) once -> 1 of 3.
    assert rows[("year", "2021-01-01", "shop", "sh2")] == (3, 1)
    # Streamer s1 in June: b1 (o1, o2) twice, b2 (o4) once -> 1 of 2. o7 has no streamer, so
    # s-scopes in July hold only s1 with b4.
    assert rows[("month", "2021-06-01", "streamer", "s1")] == (2, 1)
    assert [k for k in rows if k[0] == "month" and k[1] == "2021-07-01" and k[2] == "streamer"] == [
        ("month", "2021-07-01", "streamer", "s1")
    ]
    rate = query(
        sample_warehouse,
        "select repeat_purchase_rate from marts.repurchase_rate "
        "where period_grain = 'month' and period_start = '2021-06-01' and scope = 'platform'",
    )[0][0]
    assert rate == pytest.approx(2 / 3)


def test_returning_buyers(sample_warehouse: Path) -> None:
    rows = query_by_key(
        sample_warehouse,
        """select month_start::varchar, scope, scope_id, buyers, returning_buyers
           from marts.returning_buyers_monthly""",
        key_columns=3,
    )
    # June is the first month with orders: nobody returns.
    assert rows[("2021-06-01", "platform", "all")] == (3, 0)
    # July: b2 bought in June (returning), b4 is new -> 1 of 2.
    assert rows[("2021-07-01", "platform", "all")] == (2, 1)
    # In shop sh2, b2's July order is the first: not returning there.
    assert rows[("2021-07-01", "shop", "sh2")] == (1, 0)


def test_private_domain_share(sample_warehouse: Path) -> None:
    rows = query_by_key(
        sample_warehouse,
        """select month_start::varchar, scope, scope_id, gmv, private_gmv, orders,
                  private_orders, repurchase_orders, private_repurchase_orders,
                  private_domain_share, repurchase_private_share
           from marts.private_domain_share_monthly""",
        key_columns=3,
    )
    june = rows[("2021-06-01", "platform", "all")]
    # GMV 100 + 50 + 40 + 80 + 60 + 60 = 390; private o1, o2, o6 = 210; 6 orders, 3 private.
    # Repurchase orders (platform seq >= 2): o2, o3, o6 -> 3, of which private o2, o6 -> 2.
    assert june[:6] == (D("390.00"), D("210.00"), 6, 3, 3, 2)
    assert june[6] == pytest.approx(210 / 390)
    assert june[7] == pytest.approx(2 / 3)
    july = rows[("2021-07-01", "platform", "all")]
    # 25.50 + 30.00; repurchase: o7 (b2's 2nd), o9 (b4's 2nd); none private.
    assert july[:6] == (D("55.50"), D("0.00"), 3, 0, 2, 0)


def test_enforcement_daily(sample_warehouse: Path) -> None:
    rows = query_by_key(
        sample_warehouse,
        """select day::varchar, action_type, reason, campaign, actions, distinct_targets,
                  distinct_gangs, distinct_cases, amount_involved
           from marts.enforcement_daily""",
        key_columns=4,
    )
    assert rows == {
        # a1, a2
        ("2021-06-01", "brushing_intercept", "order_brushing", "none"): (2, 2, 0, 0, D("0.00")),
        # a3 at 16:30 UTC on 06-01 is 00:30 Beijing on 06-02
        ("2021-06-02", "brushing_intercept", "order_brushing", "none"): (1, 1, 0, 0, D("0.00")),
        # a4, a5 ban the same room twice: 2 actions, 1 target
        ("2021-06-02", "room_ban", "private_order", "none"): (2, 1, 0, 0, D("0.00")),
        ("2021-06-03", "user_report", "false_advertising", "pinocchio"): (1, 1, 0, 0, D("0.00")),
        ("2021-06-03", "police_referral", "gang_fraud", "none"): (1, 1, 1, 1, D("1000.50")),
        ("2021-06-03", "account_clearance", "gang_fraud", "none"): (1, 1, 1, 0, D("0.00")),
        ("2021-06-20", "penalty", "false_advertising", "pinocchio"): (1, 1, 0, 0, D("0.00")),
    }


def test_headline_figures(sample_warehouse: Path) -> None:
    (h,) = query(
        sample_warehouse,
        """select gmv, net_gmv, repeat_buyers, repeat_purchase_buyers, returning_buyers,
                  returning_month_buyers, private_gmv, repurchase_orders,
                  private_repurchase_orders, brushing_interceptions, enforcement_days,
                  brushing_interceptions_per_day, live_rooms_banned_private_order,
                  gangs_cleared, accounts_cleared, police_referrals, referral_cases,
                  referral_amount, pinocchio_sessions, pinocchio_reporters, pinocchio_penalties
           from marts.headline_figures""",
    )
    # GMV 390 + 55.50 = 445.50; net = 445.50 - 30 = 415.50; 2021: 4 of 4 repeat; July: 1 of 2
    # returning; private 210; repurchase 3 + 2 = 5 of which 2 private; brushing 3 over 4 days
    # with actions (06-01, 06-02, 06-03, 06-20) = 0.75 a day; one room banned for private orders;
    # a8 clears gang g1's account acc2; a7 refers case c1 with 1000.50; Pinocchio: a6 covers
    # session sess2 reported by u1, a9 is a penalty.
    assert h == (
        D("445.50"), D("415.50"), 4, 4, 1, 2, D("210.00"), 5, 2, 3, 4, 0.75, 1,
        1, 1, 1, 1, D("1000.50"), 1, 1, 1,
    )  # fmt: skip


def test_livestream_sessions_and_gmv_decomposition(sample_warehouse: Path) -> None:
    sessions = query_by_key(
        sample_warehouse,
        """select session_id, session_date::varchar, public_viewers, watch_minutes, orders,
                  buyers, gmv, private_gmv
           from marts.fct_livestream_sessions""",
    )
    # sess1: 1000 UV of which 400 followers; 360000 s = 6000 min; o1 (b1, 100, private).
    assert sessions["sess1"] == ("2021-06-01", 600, 6000.0, 1, 1, D("100.00"), D("100.00"))
    # sess2 starts 06-15 22:00 and ends after midnight: its day is the start day; o2 (50).
    assert sessions["sess2"] == ("2021-06-15", 300, 4000.0, 1, 1, D("50.00"), D("50.00"))
    (row,) = query(
        sample_warehouse,
        """select sessions, viewers, private_viewers, public_viewers, watch_minutes, orders,
                  buyers, gmv, watch_minutes_per_viewer, buyers_per_watch_minute,
                  avg_order_value, orders_per_buyer
           from marts.gmv_decomposition_monthly
           where month_start = '2021-06-01' and streamer_id = 's1'""",
    )
    # 2 sessions, UV 1000 + 800, followers 400 + 500, 10000 min, o1 + o2 by b1 = 150.00.
    assert row[:8] == (2, 1800, 900, 900, 10000.0, 2, 1, D("150.00"))
    # factors: 10000/1800 min per viewer, 1/10000 buyers per minute, 150/2 = 75 per order,
    # 2/1 orders per buyer; 1800 × 10000/1800 × 1/10000 × 75 × 2 = 150.
    assert row[8:] == pytest.approx((10000 / 1800, 1 / 10000, 75.0, 2.0))


def test_gmv_by_dimension_festival_and_fan_tiers(sample_warehouse: Path) -> None:
    by_dimension = query_by_key(
        sample_warehouse,
        """select month_start::varchar, dimension, dimension_value, gmv, orders,
                  prior_month_gmv, mom_growth
           from marts.gmv_monthly_by_dimension""",
        key_columns=3,
    )
    assert by_dimension[("2021-06-01", "platform", "all")] == (D("390.00"), 6, None, None)
    july = by_dimension[("2021-07-01", "platform", "all")]
    assert july[:3] == (D("55.50"), 3, D("390.00"))
    assert july[3] == pytest.approx(55.5 / 390 - 1)
    assert by_dimension[("2021-06-01", "traffic_domain", "private")][0] == D("210.00")
    # s1 has 150000 followers at the 06-30 snapshot (100k-1M), s2 8000 (<10k); July has no
    # snapshot (unknown); o7 has no streamer (none).
    assert by_dimension[("2021-06-01", "fan_tier", "100k-1M")][:2] == (D("230.00"), 3)
    assert by_dimension[("2021-07-01", "fan_tier", "unknown")][:2] == (D("30.00"), 2)
    assert by_dimension[("2021-07-01", "fan_tier", "none")][:2] == (D("25.50"), 1)

    tiers = query_by_key(
        sample_warehouse,
        """select month_start::varchar, fan_tier, streamers, sessions, gmv, total_gmv,
                  gmv_share, session_share
           from marts.fan_tier_monthly""",
        key_columns=2,
    )
    # June: s1 sells o1 + o2 + o4 = 230 and ran both sessions; s2 sells o3 + o5 + o6 = 160.
    assert tiers[("2021-06-01", "100k-1M")] == (1, 2, D("230.00"), D("390.00"), 230 / 390, 1.0)
    assert tiers[("2021-06-01", "<10k")] == (1, 0, D("160.00"), D("390.00"), 160 / 390, 0.0)
    assert tiers[("2021-07-01", "unknown")] == (1, 0, D("30.00"), D("30.00"), 1.0, None)

    (festival,) = query(
        sample_warehouse,
        """select festival_id, festival_days, gmv, orders, baseline_days, uplift
           from marts.festival_gmv""",
    )
    # 616 of 2021 runs 06-01..06-18: paid 100 + 60 + 80 + 50 + 40 = 330 in 5 orders; there is
    # no data in the 30 days before it, so no baseline and no uplift.
    assert festival == ("616_2021", 18, D("330.00"), 5, 0, None)


def test_cohort_retention_waits_for_the_window(sample_warehouse: Path) -> None:
    rows = query(
        sample_warehouse,
        """select cohort_month::varchar, cohort_buyers, retained_30d, retention_30d
           from marts.cohort_retention where scope = 'platform' order by 1""",
    )
    # First orders: b1, b2, b3 in June, b4 in July. The last paid day is 07-05, and June's
    # 30-day window ends 06-30 + 30 days = 07-30: not elapsed, so NULL rather than too low.
    assert rows == [("2021-06-01", 3, None, None), ("2021-07-01", 1, None, None)]


def test_trust_card_impact(sample_warehouse: Path) -> None:
    (row,) = query(
        sample_warehouse,
        """select shop_id, trust_right, before_buyers, before_repeat_buyers, after_buyers,
                  after_repeat_buyers, after_rate, control_before_buyers, control_after_buyers,
                  control_after_repeat_buyers, diff_in_diff, after_window_complete
           from marts.trust_card_impact""",
    )
    # sh1 enables return_shipping_comp on 06-05 10:00. Before: o1 (b1) -> 1 buyer, 0 repeat.
    # After: o2 (b1), o4 (b2), o9 + o10 (b4) -> 3 buyers, b4 repeats -> 1/3.
    # Control sh2 (never held it): nothing before; after o3 (b1), o5 + o6 (b3), o7 (b2) -> 3
    # buyers, 1 repeat. The control's before rate is undefined, so diff_in_diff is NULL; 90 days
    # after 06-05 lie beyond the data (07-05).
    assert row[:6] == ("sh1", "return_shipping_comp", 1, 0, 3, 1)
    assert row[6] == pytest.approx(1 / 3)
    assert row[7:] == (0, 3, 1, None, False)


def test_enforcement_monthly_and_beside_commerce(sample_warehouse: Path) -> None:
    monthly = query_by_key(
        sample_warehouse,
        """select action_type, reason, campaign, actions, distinct_targets, gang_accounts
           from marts.enforcement_monthly where month_start = '2021-06-01'""",
        key_columns=3,
    )
    # a1, a2, a3 over two days; a4, a5 ban one room; a8 clears gang g1's account.
    assert monthly[("brushing_intercept", "order_brushing", "none")] == (3, 3, 0)
    assert monthly[("room_ban", "private_order", "none")] == (2, 1, 0)
    assert monthly[("account_clearance", "gang_fraud", "none")] == (1, 1, 1)
    commerce = query(
        sample_warehouse,
        """select month_start::varchar, gmv, penalised_gmv, penalised_gmv_share
           from marts.enforcement_commerce_monthly order by 1""",
    )
    # a9 penalises sh2 in June: o3 + o5 + o6 = 160 of 390. None in July.
    assert commerce == [
        ("2021-06-01", D("390.00"), D("160.00"), pytest.approx(160 / 390)),
        ("2021-07-01", D("55.50"), D("0.00"), 0.0),
    ]


def test_personal_data_stays_in_raw(sample_warehouse: Path) -> None:
    with duckdb.connect(str(sample_warehouse), read_only=True) as conn:
        rows = conn.execute("select count(receiver_phone) from raw_sample.orders").fetchall()
        assert rows == [(14,)]
        leaked = conn.execute(
            """select table_schema, table_name, column_name from information_schema.columns
               where column_name in ('receiver_phone', 'receiver_address')
                 and table_schema not in ('raw', 'raw_sample')"""
        ).fetchall()
        assert leaked == []
        text_columns = conn.execute(
            """select table_schema, table_name, column_name from information_schema.columns
               where table_schema not in ('raw', 'raw_sample') and data_type = 'VARCHAR'"""
        ).fetchall()
        assert text_columns
        for schema, table, column in text_columns:
            (hits,) = conn.execute(
                f'''select count(*) from "{schema}"."{table}" where "{column}" in (
                       select receiver_phone from raw_sample.orders
                       union select receiver_address from raw_sample.orders)'''
            ).fetchone()
            assert hits == 0, f"{schema}.{table}.{column} holds personal data"


def test_a_second_build_without_a_window_changes_nothing(
    sample_warehouse: Path, tmp_path: Path
) -> None:
    """A plain `dbt build` on a warehouse already built, given no export window: every
    incremental model processes all its input again, and must write each key once, leaving the
    same rows as the first build (the fan tiers once wrote every month a second time)."""
    import shutil

    from helpers import assert_same_as, run_command, sample_build

    shutil.copy2(sample_warehouse, tmp_path / "warehouse.duckdb")
    result = run_command(sample_build(tmp_path / "project"))
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-3000:]
    assert_same_as(tmp_path / "warehouse.duckdb", sample_warehouse)

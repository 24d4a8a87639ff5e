"""The oracle's purchase sequences, repeat purchase, returning buyers and cohort retention,
hand-computed on tiny landing fixtures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import order, write_csv
from oracle import compute_marts

D = Decimal


# --------------------------------------------------------------------------------------------
# Sequences and repurchase
# --------------------------------------------------------------------------------------------


def test_sequence_ties_broken_by_order_id(tmp_path: Path) -> None:
    orders = [
        # Buyer z. O-c paid first (09:00) at shop2 with streamer st1.
        order("O-c", "z", "2021-07-01T09:00:00+08:00", "10", shop_id="shop2", streamer_id="st1"),
        # O-b and O-a paid at the same instant 10:00+08 at shop1; O-0 is the same instant in UTC.
        order("O-b", "z", "2021-07-01T10:00:00+08:00", "10", shop_id="shop1", streamer_id=""),
        order("O-a", "z", "2021-07-01T10:00:00+08:00", "10", shop_id="shop1", streamer_id="st1"),
        order("O-0", "z", "2021-07-01T02:00:00+00:00", "10", shop_id="shop1", streamer_id="st2"),
    ]
    write_csv(tmp_path / "orders" / "dt=2021-07-01" / "orders.csv", orders)
    marts = compute_marts(tmp_path)
    fct = marts["fct_orders"]

    def seqs(column: str) -> dict[str, int | None]:
        return {key[0]: row[column] for key, row in fct.items()}

    # Platform by (paid_at, order_id): O-c (09:00), then at 10:00 O-0 < O-a < O-b.
    assert seqs("platform_order_seq") == {"O-c": 1, "O-0": 2, "O-a": 3, "O-b": 4}
    # shop1: O-0, O-a, O-b; shop2: O-c.
    assert seqs("shop_order_seq") == {"O-c": 1, "O-0": 1, "O-a": 2, "O-b": 3}
    # st1: O-c, O-a; st2: O-0; O-b has no streamer.
    assert seqs("streamer_order_seq") == {"O-c": 1, "O-0": 1, "O-a": 2, "O-b": None}
    assert fct[("O-a",)]["is_platform_repurchase"] and not fct[("O-0",)]["is_shop_repurchase"]

    rate = marts["repurchase_rate"]
    july, q3, y2021 = date(2021, 7, 1), date(2021, 7, 1), date(2021, 1, 1)
    for grain, start in (("month", july), ("quarter", q3), ("year", y2021)):
        platform = rate[(grain, start, "platform", "all")]
        assert (platform["buyers"], platform["repeat_buyers"]) == (1, 1)
        assert platform["repeat_purchase_rate"] == 1.0
    assert rate[("month", july, "shop", "shop2")]["repeat_purchase_rate"] == 0.0
    assert rate[("month", july, "shop", "shop1")]["repeat_buyers"] == 1
    assert rate[("month", july, "streamer", "st2")]["repeat_buyers"] == 0
    assert ("month", july, "streamer", None) not in rate

    # Repurchase orders: platform O-0, O-a, O-b; shop1 O-a, O-b; shop2 none; st1 O-a.
    share = marts["private_domain_share_monthly"]
    assert share[(july, "platform", "all")]["repurchase_orders"] == 3
    assert share[(july, "shop", "shop1")]["repurchase_orders"] == 2
    assert share[(july, "shop", "shop2")]["repurchase_orders"] == 0
    assert share[(july, "streamer", "st1")]["repurchase_orders"] == 1
    assert share[(july, "platform", "all")]["gmv"] == D("40.00")


def test_returning_buyers_twelve_month_window(tmp_path: Path) -> None:
    orders = [
        # p1: 2021-06-01 00:00+08 at shopA (first instant of M - 12 months) -> returning
        # at platform in 2022-06; the 2022 order is at shopB, so not returning at shopB.
        order("p1-old", "p1", "2021-06-01T00:00:00+08:00", "10", shop_id="shopA"),
        order("p1-new", "p1", "2022-06-10T10:00:00+08:00", "10", shop_id="shopB"),
        # p2: 2021-05-31 23:59:59+08 is 12 months + 1 second before -> not returning.
        order("p2-old", "p2", "2021-05-31T23:59:59+08:00", "10", shop_id="shopA"),
        order("p2-new", "p2", "2022-06-10T10:00:00+08:00", "10", shop_id="shopA"),
        # p4: 2021-05-31T16:00Z = 2021-06-01 00:00+08 -> inside the window -> returning.
        order("p4-old", "p4", "2021-05-31T16:00:00+00:00", "10", shop_id="shopA"),
        order("p4-new", "p4", "2022-06-30T23:59:59+08:00", "10", shop_id="shopA"),
        # p5: two orders within 2022-06 only: an earlier order in M itself does not count.
        order("p5-1", "p5", "2022-06-01T00:00:00+08:00", "10", shop_id="shopA"),
        order("p5-2", "p5", "2022-06-02T00:00:00+08:00", "10", shop_id="shopA"),
    ]
    write_csv(tmp_path / "orders" / "dt=2022-06-30" / "orders.csv", orders)
    marts = compute_marts(tmp_path)
    returning = marts["returning_buyers_monthly"]
    june22, june21, may21 = date(2022, 6, 1), date(2021, 6, 1), date(2021, 5, 1)

    # Platform 2022-06: buyers p1, p2, p4, p5 = 4; returning p1, p4 = 2 -> 0.5.
    platform = returning[(june22, "platform", "all")]
    assert (platform["buyers"], platform["returning_buyers"]) == (4, 2)
    assert platform["returning_buyer_share"] == 0.5
    # shopA 2022-06: p2, p4, p5 = 3; returning p4 only.
    shop_a = returning[(june22, "shop", "shopA")]
    assert (shop_a["buyers"], shop_a["returning_buyers"]) == (3, 1)
    assert shop_a["returning_buyer_share"] == pytest.approx(1 / 3)
    # shopB 2022-06: p1 bought at shopA before, not at shopB -> 0 of 1.
    shop_b = returning[(june22, "shop", "shopB")]
    assert (shop_b["buyers"], shop_b["returning_buyers"]) == (1, 0)
    # 2021-06: p1, p4 with nothing earlier; 2021-05: p2.
    assert returning[(june21, "platform", "all")]["buyers"] == 2
    assert returning[(june21, "platform", "all")]["returning_buyers"] == 0
    assert returning[(may21, "platform", "all")]["buyers"] == 1
    # s1 is the default streamer of every order: same picture as the platform.
    assert returning[(june22, "streamer", "s1")]["returning_buyers"] == 2
    assert set(returning) == {
        (june22, "platform", "all"),
        (june22, "shop", "shopA"),
        (june22, "shop", "shopB"),
        (june22, "streamer", "s1"),
        (june21, "platform", "all"),
        (june21, "shop", "shopA"),
        (june21, "streamer", "s1"),
        (may21, "platform", "all"),
        (may21, "shop", "shopA"),
        (may21, "streamer", "s1"),
    }

    rate = marts["repurchase_rate"]
    # 2022-06 month platform: 4 buyers, only p5 has 2 orders in the month.
    assert rate[("month", june22, "platform", "all")]["repeat_purchase_rate"] == 0.25
    # Q2 2021 (p1, p2, p4) no repeats; year 2022: 4 buyers, 1 repeat.
    assert rate[("quarter", date(2021, 4, 1), "platform", "all")]["buyers"] == 3
    assert rate[("quarter", date(2021, 4, 1), "platform", "all")]["repeat_buyers"] == 0
    assert rate[("year", date(2022, 1, 1), "platform", "all")]["repeat_buyers"] == 1


# --------------------------------------------------------------------------------------------
# Cohort retention
# --------------------------------------------------------------------------------------------


def test_cohort_retention_windows(tmp_path: Path) -> None:
    orders = [
        # c1: 2nd order exactly 30 days after the first (inclusive) -> retained at 30/90/180.
        order("c1-1", "c1", "2021-01-15T10:00:00+08:00", "10"),
        order("c1-2", "c1", "2021-02-14T10:00:00+08:00", "10"),
        # c2: 30 days and 1 second later, at shop2 -> platform: retained at 90 but not 30.
        order("c2-1", "c2", "2021-01-20T10:00:00+08:00", "10"),
        order("c2-2", "c2", "2021-02-19T10:00:01+08:00", "10", shop_id="shop2"),
        # c3: a single order.
        order("c3-1", "c3", "2021-01-31T23:00:00+08:00", "10"),
        # c4: the last paid day of the data, 2021-05-01.
        order("c4-1", "c4", "2021-05-01T12:00:00+08:00", "10"),
    ]
    write_csv(tmp_path / "orders" / "dt=2021-05-01" / "o.csv", orders)
    cohorts = compute_marts(tmp_path)["cohort_retention"]
    jan, feb, may = date(2021, 1, 1), date(2021, 2, 1), date(2021, 5, 1)

    platform = cohorts[(jan, "platform", "all")]
    assert platform["cohort_buyers"] == 3  # c1, c2, c3
    # 30d: 01-31 + 30 days = 03-02 <= 05-01 (max paid_date): elapsed; c1 only -> 1/3.
    assert (platform["retained_30d"], platform["retention_30d"]) == (1, pytest.approx(1 / 3))
    # 90d: 01-31 + 90 days = 05-01 <= 05-01: elapsed (boundary); c1, c2 -> 2/3.
    assert (platform["retained_90d"], platform["retention_90d"]) == (2, pytest.approx(2 / 3))
    # 180d: 01-31 + 180 days = 07-30 > 05-01: not elapsed -> None, not a too-low number.
    assert (platform["retained_180d"], platform["retention_180d"]) == (None, None)

    # shop1: c2's 2nd order was at shop2 -> only c1 is retained at 90 days: 1/3.
    shop1 = cohorts[(jan, "shop", "shop1")]
    assert (shop1["cohort_buyers"], shop1["retained_90d"]) == (3, 1)
    # shop2: c2's first shop2 order is in February: 02-28 + 30 = 03-30 <= 05-01 -> 0/1 = 0.0;
    # 02-28 + 90 = 05-29 > 05-01 -> None.
    shop2 = cohorts[(feb, "shop", "shop2")]
    assert (shop2["cohort_buyers"], shop2["retained_30d"], shop2["retention_30d"]) == (1, 0, 0.0)
    assert shop2["retention_90d"] is None
    # May cohort (c4): 05-31 + 30 days is after 05-01 -> every window None.
    late = cohorts[(may, "platform", "all")]
    assert late["cohort_buyers"] == 1
    assert [late[f"retention_{n}d"] for n in (30, 90, 180)] == [None, None, None]
    assert [late[f"retained_{n}d"] for n in (30, 90, 180)] == [None, None, None]
    assert (feb, "platform", "all") not in cohorts  # nobody's first platform order in Feb
    assert cohorts[(jan, "streamer", "s1")]["retained_90d"] == 2

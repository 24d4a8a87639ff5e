"""The oracle's enforcement marts and headline figures, hand-computed on tiny landing fixtures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import enforcement_action, order, write_csv, write_jsonl
from oracle import compute_headlines, compute_marts

D = Decimal


# --------------------------------------------------------------------------------------------
# Enforcement by day, and headlines
# --------------------------------------------------------------------------------------------


def test_enforcement_daily_and_headlines(tmp_path: Path) -> None:
    a = enforcement_action
    brushing = ("brushing_intercept", "order_brushing", "order")
    private_ban = ("room_ban", "private_order", "live_room")
    actions = tmp_path / "enforcement_actions"
    write_jsonl(
        actions / "dt=2021-06-15" / "actions.jsonl",
        [
            # a1, a2 hit target t1; a1 is re-exported on 06-17 (5.00, smaller file name).
            a("a1", "2021-06-15T10:00:00+08:00", *brushing, "t1", campaign="", amount_involved=99),
            a("a2", "2021-06-15T11:00:00+08:00", *brushing, "t1", amount_involved=12.5),
            # 16:30Z -> Shanghai 2021-06-16.
            a("a3", "2021-06-15T16:30:00+00:00", *brushing, "t3"),
            a("a4", "2021-06-15T12:00:00+08:00", *private_ban, "R1"),
        ],
    )  # fmt: skip
    write_csv(
        actions / "dt=2021-06-16" / "actions.csv",
        [
            a("a5", "2021-06-16T09:00:00+08:00", *private_ban, "R1", gang_id="g1", case_id="c1"),
            a("a6", "2021-06-16T10:00:00+08:00", *private_ban, "R2", gang_id="", case_id=""),
            a("a7", "2021-06-16T11:00:00+08:00", "penalty", "false_advertising", "streamer", "st9",
              campaign="pinocchio", amount_involved="100"),
            a("a8", "2021-06-16T12:00:00+08:00", "room_ban", "other", "live_room", "R3"),
        ],
    )  # fmt: skip
    write_jsonl(
        actions / "dt=2021-06-17" / "a_reexport.jsonl",
        [a("a1", "2021-06-15T10:00:00+08:00", *brushing, "t1", amount_involved="5.00")],
    )

    daily = compute_marts(tmp_path)["enforcement_daily"]
    d15, d16 = date(2021, 6, 15), date(2021, 6, 16)
    assert set(daily) == {
        (d15, "brushing_intercept", "order_brushing", "none"),
        (d16, "brushing_intercept", "order_brushing", "none"),
        (d15, "room_ban", "private_order", "none"),
        (d16, "room_ban", "private_order", "none"),
        (d16, "penalty", "false_advertising", "pinocchio"),
        (d16, "room_ban", "other", "none"),
    }
    # a1 (latest export: 5.00) + a2 (12.50), both on target t1.
    brushing = daily[(d15, "brushing_intercept", "order_brushing", "none")]
    assert (brushing["actions"], brushing["distinct_targets"]) == (2, 1)
    assert brushing["amount_involved"] == D("17.50")
    late = daily[(d16, "brushing_intercept", "order_brushing", "none")]
    assert (late["actions"], late["amount_involved"]) == (1, D("0.00"))
    # a5 + a6: rooms R1, R2; gang g1, case c1 (a6's empty ids are null).
    bans = daily[(d16, "room_ban", "private_order", "none")]
    assert (bans["actions"], bans["distinct_targets"]) == (2, 2)
    assert (bans["distinct_gangs"], bans["distinct_cases"]) == (1, 1)
    pinocchio = daily[(d16, "penalty", "false_advertising", "pinocchio")]
    assert pinocchio["amount_involved"] == D("100.00")

    headlines = compute_headlines(tmp_path)
    # 3 brushing interceptions (a1, a2, a3) over 2 enforcement days (06-15, 06-16) = 1.5.
    assert headlines["brushing_interceptions"] == 3
    assert headlines["enforcement_days"] == 2
    assert headlines["brushing_interceptions_per_day"] == 1.5
    # room_ban + private_order: R1 (twice), R2 -> 2; R3 (reason other) does not count.
    assert headlines["rooms_banned_private_order"] == 2
    assert headlines["gmv"] == D("0.00")


# --------------------------------------------------------------------------------------------
# Enforcement: months, gangs, headlines, beside commerce
# --------------------------------------------------------------------------------------------


def test_enforcement_monthly_commerce_and_headlines(tmp_path: Path) -> None:
    a = enforcement_action
    clearance = ("account_clearance", "gang_fraud", "account")
    referral = ("police_referral", "gang_fraud", "account")
    pinocchio = {"campaign": "pinocchio"}
    actions = [
        a("k1", "2021-06-03T10:00:00+08:00", *clearance, "acc1", gang_id="g1"),
        a("k2", "2021-06-03T11:00:00+08:00", *clearance, "acc2", gang_id="g1"),
        a("k3", "2021-06-20T10:00:00+08:00", *clearance, "acc1", gang_id="g2"),
        a("k4", "2021-06-21T10:00:00+08:00", *clearance, "acc3"),
        a("k5", "2021-06-22T10:00:00+08:00", *referral, "acc1", case_id="c1", gang_id="g1",
          amount_involved="1000.50"),
        a("k6", "2021-06-23T10:00:00+08:00", *referral, "acc2", case_id="c1",
          amount_involved=499.5),
        a("k7", "2021-06-24T10:00:00+08:00", "police_referral", "other", "account", "acc9"),
        a("p1", "2021-06-10T10:00:00+08:00", "penalty", "false_advertising", "shop", "shopP",
          session_id="sess1", **pinocchio),
        # 16:30Z = 2021-07-01 00:30 Shanghai: a July penalty of streamer stQ.
        a("p2", "2021-06-30T16:30:00+00:00", "penalty", "false_advertising", "streamer", "stQ",
          session_id="sess2", **pinocchio),
        a("p3", "2021-07-05T10:00:00+08:00", "penalty", "counterfeit", "shop", "shopR"),
        # A penalty aimed at an account whose id happens to be a shop id: not a shop penalty.
        a("p4", "2021-06-15T10:00:00+08:00", "penalty", "other", "account", "shop1"),
        a("r1", "2021-06-11T10:00:00+08:00", "user_report", "false_advertising", "live_room",
          "room1", session_id="sess1", reporter_id="u1", **pinocchio),
        a("r2", "2021-06-12T10:00:00+08:00", "user_report", "false_advertising", "live_room",
          "room2", session_id="sess3", reporter_id="u1", **pinocchio),
        a("r3", "2021-06-13T10:00:00+08:00", "user_report", "false_advertising", "live_room",
          "room3", reporter_id="u2", **pinocchio),
        a("w1", "2021-06-15T10:00:00+08:00", "warning", "false_advertising", "streamer", "stQ"),
    ]  # fmt: skip
    write_jsonl(tmp_path / "enforcement_actions" / "dt=2021-07-05" / "a.jsonl", actions)
    orders = [
        # shopP penalised in June (p1, 06-10): its June orders count, even before 06-10.
        order("o-a", "b1", "2021-06-05T10:00:00+08:00", "100", shop_id="shopP", streamer_id="st1"),
        order("o-e", "b1", "2021-06-06T10:00:00+08:00", "10", shop_id="shopP", streamer_id="st1"),
        # stQ: warned in June (not a penalty), penalised in July only.
        order("o-b", "b2", "2021-06-20T10:00:00+08:00", "50", shop_id="shop1", streamer_id="stQ"),
        order("o-c", "b2", "2021-07-02T10:00:00+08:00", "30", shop_id="shopP", streamer_id="stQ"),
        order("o-d", "b3", "2021-07-03T10:00:00+08:00", "20", shop_id="shop1", streamer_id=""),
        # shopR and stQ both penalised in July: counted once.
        order("o-f", "b3", "2021-07-10T10:00:00+08:00", "40", shop_id="shopR", streamer_id="stQ"),
    ]
    write_csv(tmp_path / "orders" / "dt=2021-07-10" / "o.csv", orders)
    marts = compute_marts(tmp_path)
    june, july = date(2021, 6, 1), date(2021, 7, 1)

    daily = marts["enforcement_daily"]
    # 06-03: k1 acc1 (g1), k2 acc2 (g1) -> 2 gang accounts; 06-21: k4 has no gang -> 0.
    assert daily[(date(2021, 6, 3), *clearance[:2], "none")]["gang_accounts"] == 2
    assert daily[(date(2021, 6, 21), *clearance[:2], "none")]["gang_accounts"] == 0

    monthly = marts["enforcement_monthly"]
    cleared = monthly[(june, *clearance[:2], "none")]
    # k1..k4: targets acc1, acc2, acc3 = 3; gangs g1, g2 = 2; accounts with a gang acc1, acc2.
    assert (cleared["actions"], cleared["distinct_targets"], cleared["distinct_gangs"]) == (4, 3, 2)
    assert (cleared["gang_accounts"], cleared["month_start"]) == (2, june)
    referred = monthly[(june, *referral[:2], "none")]
    # k5 + k6: one case c1, 1000.50 + 499.50 = 1500.00; only k5 (acc1) carries a gang.
    assert (referred["actions"], referred["distinct_cases"]) == (2, 1)
    assert (referred["amount_involved"], referred["gang_accounts"]) == (D("1500.00"), 1)
    assert monthly[(july, "penalty", "false_advertising", "pinocchio")]["actions"] == 1
    assert (june, "penalty", "false_advertising", "pinocchio") in monthly

    commerce = marts["enforcement_commerce_monthly"]
    assert set(commerce) == {(june,), (july,)}
    # June: gmv 100 + 10 + 50 = 160.00; penalised shopP's 100 + 10 = 110.00 -> 0.6875.
    assert (commerce[(june,)]["gmv"], commerce[(june,)]["penalised_gmv"]) == (
        D("160.00"),
        D("110.00"),
    )
    assert commerce[(june,)]["penalised_gmv_share"] == 0.6875
    # July: gmv 30 + 20 + 40 = 90.00; penalised o-c (stQ) 30 + o-f (shopR and stQ, once) 40
    # = 70.00 -> 7/9.
    assert (commerce[(july,)]["gmv"], commerce[(july,)]["penalised_gmv"]) == (
        D("90.00"),
        D("70.00"),
    )
    assert commerce[(july,)]["penalised_gmv_share"] == pytest.approx(7 / 9)

    headlines = compute_headlines(tmp_path)
    # account_clearance: gangs g1, g2 (k4 has none); accounts acc1, acc2, acc3.
    assert (headlines["gangs_cleared"], headlines["accounts_cleared"]) == (2, 3)
    # police_referral: k5, k6, k7 = 3; cases {c1}; 1000.50 + 499.50 + 0 = 1500.00.
    assert (headlines["police_referrals"], headlines["referral_cases"]) == (3, 1)
    assert headlines["referral_amount"] == D("1500.00")
    # pinocchio: sessions sess1 (p1, r1), sess2, sess3 = 3 (r3 has none); reporters u1, u2;
    # penalties p1, p2 (p3 and p4 are outside the campaign).
    assert (headlines["pinocchio_sessions"], headlines["pinocchio_reporters"]) == (3, 2)
    assert headlines["pinocchio_penalties"] == 2

"""The oracle's orders, hand-computed on tiny landing fixtures: the traffic domain at the moment of
payment, reporting days in Asia/Shanghai, order versions and refunds."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import jsonl_order, order, write_csv, write_jsonl
from oracle import SHANGHAI, compute_headlines, compute_marts, read_landing
from oracle.orders import latest_orders, refund_changes

D = Decimal


# --------------------------------------------------------------------------------------------
# Traffic domain (point-in-time follows)
# --------------------------------------------------------------------------------------------


def test_traffic_domain_point_in_time(tmp_path: Path) -> None:
    pay = "2021-06-10T12:00:00+08:00"
    orders = [
        order("o1", "b1", pay, "100"),  # b1 followed s1 at 10:00 -> private
        order("o2", "b2", pay, "100"),  # b2 follows s1 at 12:00:01, after payment -> public
        order("o3", "b3", pay, "100"),  # b3 follow 09:00, unfollow 11:00 -> public
        order("o4", "b4", pay, "100"),  # b4 follow 08, unfollow 09, re-follow 10 -> private
        order("o5", "b1", pay, "100", streamer_id="s2"),  # b1 follows s1, not s2 -> public
        order("o6", "b1", pay, "100", streamer_id=""),  # no streamer -> public
        order("o7", "b5", pay, "100"),  # b5 follow exactly at paid_at (start <= paid_at) -> private
        order("o8", "b6", pay, "100"),  # b6 follow 10:00, unfollow exactly at 12:00 -> public
        order("o9", "b7", pay, "100"),  # b7 follow 08, dup follow 09 ignored, unfollow 10 -> public
        order("o10", "b8", pay, "100"),  # b8 stray unfollow 07 ignored, follow 08 -> private
        order("o11", "b9", pay, "100"),  # b9 follow+unfollow both at 09:00 -> [09, 09) -> public
    ]
    write_csv(tmp_path / "orders" / "dt=2021-06-10" / "orders.csv", orders)

    def ev(event_id: str, follower: str, kind: str, at: str, streamer: str = "s1") -> dict:
        return {
            "event_id": event_id,
            "follower_id": follower,
            "streamer_id": streamer,
            "event_type": kind,
            "event_at": at,
        }

    write_csv(
        tmp_path / "follows" / "dt=2021-06-10" / "follows.csv",
        [
            ev("e01", "b1", "follow", "2021-06-10T10:00:00+08:00"),
            ev("e02", "b2", "follow", "2021-06-10T12:00:01+08:00"),
            ev("e03", "b3", "follow", "2021-06-10T09:00:00+08:00"),
            # Written as UTC: 03:00Z = 11:00+08:00.
            ev("e04", "b3", "unfollow", "2021-06-10T03:00:00+00:00"),
            ev("e05", "b4", "follow", "2021-06-10T08:00:00+08:00"),
            ev("e06", "b4", "unfollow", "2021-06-10T09:00:00+08:00"),
        ],
    )
    write_jsonl(
        tmp_path / "follows" / "dt=2021-06-11" / "follows.jsonl",
        [
            ev("e07", "b4", "follow", "2021-06-10T10:00:00+08:00"),
            ev("e08", "b5", "follow", pay),
            ev("e09", "b6", "follow", "2021-06-10T10:00:00+08:00"),
            ev("e10", "b6", "unfollow", pay),
            ev("e11", "b7", "follow", "2021-06-10T08:00:00+08:00"),
            ev("e12", "b7", "follow", "2021-06-10T09:00:00+08:00"),
            ev("e13", "b7", "unfollow", "2021-06-10T10:00:00+08:00"),
            ev("e14", "b8", "unfollow", "2021-06-10T07:00:00+08:00"),
            # Naive timestamp: Shanghai time.
            ev("e15", "b8", "follow", "2021-06-10T08:00:00"),
            # Same instant: sorted by event_id, so follow (e16) then unfollow (e17).
            ev("e17", "b9", "unfollow", "2021-06-10T09:00:00+08:00"),
            ev("e16", "b9", "follow", "2021-06-10T09:00:00+08:00"),
        ],
    )

    marts = compute_marts(tmp_path)
    domains = {key[0]: row["traffic_domain"] for key, row in marts["fct_orders"].items()}
    assert domains == {
        "o1": "private",
        "o2": "public",
        "o3": "public",
        "o4": "private",
        "o5": "public",
        "o6": "public",
        "o7": "private",
        "o8": "public",
        "o9": "public",
        "o10": "private",
        "o11": "public",
    }
    # Private: o1, o4, o7, o10 = 400.00; public: the other 7 = 700.00.
    day = marts["gmv_daily"][(date(2021, 6, 10),)]
    assert day["orders"] == 11
    assert day["buyers"] == 9
    assert day["private_gmv"] == D("400.00")
    assert day["public_gmv"] == D("700.00")
    assert day["gmv"] == D("1100.00")

    # Platform June: 11 orders, 4 private. b1 has o1, o5, o6 at the same paid_at -> platform seq
    # by order_id: o1=1, o5=2, o6=3, so repurchase orders = {o5, o6}, both public.
    share = marts["private_domain_share_monthly"][(date(2021, 6, 1), "platform", "all")]
    assert share["orders"] == 11 and share["private_orders"] == 4
    assert share["private_domain_share"] == pytest.approx(400 / 1100)
    assert share["repurchase_orders"] == 2 and share["private_repurchase_orders"] == 0
    assert share["repurchase_private_share"] == 0.0
    # Streamer s2: one public order, no repurchase -> repurchase_private_share None.
    s2 = marts["private_domain_share_monthly"][(date(2021, 6, 1), "streamer", "s2")]
    assert s2["private_domain_share"] == 0.0
    assert s2["repurchase_private_share"] is None
    # Streamer s1: o1..o4, o7..o11 = 9 orders, all first orders of their buyer at s1.
    s1 = marts["private_domain_share_monthly"][(date(2021, 6, 1), "streamer", "s1")]
    assert s1["orders"] == 9 and s1["private_orders"] == 4 and s1["repurchase_orders"] == 0
    # o6 has no streamer: no streamer scope for it.
    assert marts["fct_orders"][("o6",)]["streamer_order_seq"] is None
    assert marts["fct_orders"][("o6",)]["streamer_id"] is None


# --------------------------------------------------------------------------------------------
# Reporting days and placed orders
# --------------------------------------------------------------------------------------------


def test_reporting_days_in_shanghai(tmp_path: Path) -> None:
    orders = [
        # paid 23:59:59+08 -> 06-15; created 23:50 -> placed 06-15.
        order("A", "x", "2021-06-15T23:59:59+08:00", "10", created_at="2021-06-15T23:50:00+08:00"),
        # paid 00:00:00+08 -> 06-16; created the evening before -> placed 06-15.
        order("B", "x", "2021-06-16T00:00:00+08:00", "20", created_at="2021-06-15T23:55:00+08:00"),
        # 16:30Z = 06-16 00:30+08 -> 06-16; created 16:20Z = 06-16 00:20+08 -> placed 06-16.
        order("C", "y", "2021-06-15T16:30:00+00:00", "30", created_at="2021-06-15T16:20:00+00:00"),
        # naive = Shanghai: paid 06-15 23:30 -> 06-15; created 23:00 -> placed 06-15.
        order("D", "x", "2021-06-15T23:30:00", "40", created_at="2021-06-15T23:00:00"),
        # never paid: created 06-14 10:00, item 50 - discount 5 -> placed 45.00, not counted.
        order(
            "E",
            "z",
            None,
            "50",
            discount_amount="5",
            created_at="2021-06-14T10:00:00+08:00",
            updated_at="2021-06-14T10:00:00+08:00",
        ),
    ]
    write_csv(tmp_path / "orders" / "dt=2021-06-16" / "orders.csv", orders)

    marts = compute_marts(tmp_path)
    assert set(marts["fct_orders"]) == {("A",), ("B",), ("C",), ("D",)}
    paid_dates = {key[0]: row["paid_date"] for key, row in marts["fct_orders"].items()}
    assert paid_dates == {
        "A": date(2021, 6, 15),
        "B": date(2021, 6, 16),
        "C": date(2021, 6, 16),
        "D": date(2021, 6, 15),
    }
    assert marts["fct_orders"][("C",)]["paid_at"] == datetime(2021, 6, 16, 0, 30, tzinfo=SHANGHAI)

    daily = marts["gmv_daily"]
    assert set(daily) == {(date(2021, 6, 14),), (date(2021, 6, 15),), (date(2021, 6, 16),)}
    # 06-14: only the placed, unpaid order E.
    d14 = daily[(date(2021, 6, 14),)]
    assert (d14["orders"], d14["buyers"], d14["gmv"], d14["net_gmv"]) == (0, 0, D("0.00"), 0)
    assert (d14["placed_orders"], d14["placed_gmv"]) == (1, D("45.00"))
    # 06-15: paid A + D = 50.00 by buyer x; placed A, B, D = 10 + 20 + 40 = 70.00.
    d15 = daily[(date(2021, 6, 15),)]
    assert (d15["orders"], d15["buyers"], d15["gmv"]) == (2, 1, D("50.00"))
    assert (d15["placed_orders"], d15["placed_gmv"]) == (3, D("70.00"))
    # 06-16: paid B + C = 50.00 by x and y; placed C = 30.00.
    d16 = daily[(date(2021, 6, 16),)]
    assert (d16["orders"], d16["buyers"], d16["gmv"]) == (2, 2, D("50.00"))
    assert (d16["placed_orders"], d16["placed_gmv"]) == (1, D("30.00"))

    headlines = compute_headlines(tmp_path)
    assert headlines["gmv"] == D("100.00") and headlines["net_gmv"] == D("100.00")
    assert headlines["brushing_interceptions_per_day"] is None  # no enforcement data


# --------------------------------------------------------------------------------------------
# Order versions and refunds
# --------------------------------------------------------------------------------------------


def test_later_refund_version_restates_paid_day(tmp_path: Path) -> None:
    paid = "2021-06-15T12:00:00+08:00"
    first = order("R1", "b1", paid, "100.00")
    write_csv(tmp_path / "orders" / "dt=2021-06-15" / "orders.csv", [first])
    # Refund of 30 exported on 06-25 as a newer version (JSON number, no decimals).
    refunded = jsonl_order(
        dict(first, status="refunded", refund_amount=30, updated_at="2021-06-25T09:00:00+08:00")
    )
    write_jsonl(tmp_path / "orders" / "dt=2021-06-25" / "orders.jsonl", [refunded])
    # A stale re-export of the first version in a later partition must not win (older updated_at).
    write_csv(tmp_path / "orders" / "dt=2021-06-26" / "orders.csv", [first])

    marts = compute_marts(tmp_path)
    row = marts["fct_orders"][("R1",)]
    assert (row["gmv"], row["refund_amount"], row["net_gmv"]) == (
        D("100.00"),
        D("30.00"),
        D("70.00"),
    )
    # The refund restates the paid day 06-15. 06-25 has a row only because the refund was
    # recorded then (refunds_recorded); it has no paid or placed figures.
    assert set(marts["gmv_daily"]) == {(date(2021, 6, 15),), (date(2021, 6, 25),)}
    day = marts["gmv_daily"][(date(2021, 6, 15),)]
    assert (day["gmv"], day["refund_amount"], day["net_gmv"]) == (
        D("100.00"),
        D("30.00"),
        D("70.00"),
    )
    # Versions: v1 (updated 06-15, refund 0), its exact re-export on dt=06-26 (counts once),
    # v2 (updated 06-25, refund 30): changes 0 on 06-15, 30 - 0 = 30 on 06-25.
    assert day["refunds_recorded"] == D("0.00")
    refund_day = marts["gmv_daily"][(date(2021, 6, 25),)]
    assert (refund_day["orders"], refund_day["gmv"], refund_day["placed_orders"]) == (
        0,
        D("0.00"),
        0,
    )
    assert refund_day["refunds_recorded"] == D("30.00")
    headlines = compute_headlines(tmp_path)
    assert headlines["gmv"] == D("100.00") and headlines["net_gmv"] == D("70.00")


def test_latest_version_tie_breaks(tmp_path: Path) -> None:
    base = order("T1", "b1", "2021-06-15T12:00:00+08:00", "100", updated_at="2021-06-20T00:00:00Z")
    # Same updated_at everywhere: later _dt wins over earlier _dt; within a _dt the larger file
    # name wins; within a file the later row wins.
    write_csv(
        tmp_path / "orders" / "dt=2021-06-21" / "a.csv",
        [dict(base, refund_amount="1"), dict(base, refund_amount="2")],
    )
    write_csv(
        tmp_path / "orders" / "dt=2021-06-21" / "b.csv",
        [dict(base, refund_amount="3"), dict(base, refund_amount="4")],
    )
    write_csv(
        tmp_path / "orders" / "dt=2021-06-20" / "z.csv",
        [dict(base, refund_amount="9")],
    )
    records = read_landing(tmp_path)
    assert latest_orders(records["orders"])["T1"]["refund_amount"] == "4"
    # updated_at is compared as an instant: 2021-06-20T08:00:01+08:00 is later than 00:00:00Z.
    write_csv(
        tmp_path / "orders" / "dt=2021-06-19" / "a.csv",
        [dict(base, refund_amount="5", updated_at="2021-06-20T08:00:01+08:00")],
    )
    marts = compute_marts(tmp_path)
    assert marts["fct_orders"][("T1",)]["refund_amount"] == D("5.00")


# --------------------------------------------------------------------------------------------
# Refunds on the day they are recorded
# --------------------------------------------------------------------------------------------


def test_refunds_recorded_across_versions(tmp_path: Path) -> None:
    v1 = order("X", "b1", "2021-06-15T12:00:00+08:00", "100")
    v2 = dict(v1, refund_amount="40", status="refunded", updated_at="2021-06-20T09:00:00+08:00")
    # A correction: the cumulative refund goes down from 40 to 25.
    v3 = dict(v1, refund_amount="25", status="refunded", updated_at="2021-06-22T09:00:00+08:00")
    write_csv(tmp_path / "orders" / "dt=2021-06-15" / "o.csv", [v1])
    write_csv(tmp_path / "orders" / "dt=2021-06-20" / "o.csv", [v2])
    write_csv(tmp_path / "orders" / "dt=2021-06-22" / "o.csv", [v3])
    # v2 re-exported as JSON (number instead of text): an exact duplicate, counted once.
    write_jsonl(
        tmp_path / "orders" / "dt=2021-06-23" / "o.jsonl",
        [jsonl_order(dict(v2, refund_amount=40.00))],
    )
    daily = compute_marts(tmp_path)["gmv_daily"]
    # Distinct versions by (updated_at, _dt, _file, _row): v1, v2 (its JSON re-export is the
    # same version), v3. Changes: v1 0 - 0 = 0 (06-15), v2 40 - 0 = +40 (06-20),
    # v3 25 - 40 = -15 (06-22). The sum, 0 + 40 - 15 = 25, is the latest cumulative refund.
    assert set(daily) == {(date(2021, 6, 15),), (date(2021, 6, 20),), (date(2021, 6, 22),)}
    assert daily[(date(2021, 6, 15),)]["refunds_recorded"] == D("0.00")
    assert daily[(date(2021, 6, 20),)]["refunds_recorded"] == D("40.00")
    assert daily[(date(2021, 6, 22),)]["refunds_recorded"] == D("-15.00")
    # The paid day is restated with the latest cumulative refund: 40 - 15 = 25.
    assert daily[(date(2021, 6, 15),)]["refund_amount"] == D("25.00")
    assert daily[(date(2021, 6, 22),)]["orders"] == 0

    # Duplicates that are not adjacent: Y v1 (refund 0), Y v1' (refund 5, same updated_at,
    # later export), then v1 re-exported later still. latest_orders picks the re-export (0), and
    # the re-export is the copy kept: changes +5 then -5, summing to the latest refund, 0.
    y1 = order("Y", "b2", "2021-06-16T12:00:00+08:00", "10")
    y1b = dict(y1, refund_amount="5")
    records = {
        "orders": [
            dict(y1, _dt="2021-06-16", _file="a.csv", _row=1),
            dict(y1b, _dt="2021-06-17", _file="a.csv", _row=1),
            dict(y1, _dt="2021-06-18", _file="a.csv", _row=1),
        ]
    }
    assert latest_orders(records["orders"])["Y"]["_dt"] == "2021-06-18"
    changes = [change for _, _, change in refund_changes(records["orders"])]
    assert changes == [D("5.00"), D("-5.00")]

"""Hand-computed checks of the pure-Python oracle (tests/oracle.py) on tiny landing fixtures."""

from __future__ import annotations

import csv
import gzip
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from oracle import (
    ORDER_CONTRACT_COLUMNS,
    SHANGHAI,
    compute_headlines,
    compute_marts,
    compute_marts_from_records,
    fan_tier_of,
    latest_orders,
    months_before,
    read_fan_tiers,
    read_landing,
    refund_changes,
)

ORDER_COLUMNS = list(ORDER_CONTRACT_COLUMNS)
FOLLOW_COLUMNS = ["event_id", "follower_id", "streamer_id", "event_type", "event_at"]
SESSION_COLUMNS = [
    "session_id",
    "streamer_id",
    "started_at",
    "ended_at",
    "viewers",
    "follower_viewers",
    "watch_seconds",
    "peak_concurrent",
    "interactions",
]
STREAMER_COLUMNS = ["streamer_id", "shop_id", "category", "follower_count", "created_at"]
TRUST_COLUMNS = ["event_id", "shop_id", "right", "event_type", "event_at"]


def D(value: str) -> Decimal:
    return Decimal(value)


def order(
    order_id: str, buyer_id: str, paid_at: str | None, amount: str, **extra: Any
) -> dict[str, Any]:
    """A complete order row; created_at/updated_at default to paid_at (or a fixed time)."""
    stamp = paid_at or "2021-06-01T10:00:00+08:00"
    row = {
        "order_id": order_id,
        "buyer_id": buyer_id,
        "shop_id": "shop1",
        "streamer_id": "s1",
        "session_id": "",
        "product_id": "p1",
        "category": "food",
        "quantity": 1,
        "item_amount": amount,
        "discount_amount": "0",
        "paid_amount": amount if paid_at else "0",
        "refund_amount": "",
        "status": "paid" if paid_at else "created",
        "entry_point": "follow_feed",
        "created_at": stamp,
        "paid_at": paid_at or "",
        "updated_at": stamp,
    }
    row.update(extra)
    return row


def write_csv(path: Path, columns: list[str], rows: list[dict], gz: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    opener = gzip.open if gz else open
    with opener(path, "wt", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")


def jsonl_order(row: dict) -> dict:
    """The JSON form of an order row: nulls instead of empty strings."""
    return {key: (None if value == "" else value) for key, value in row.items()}


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def test_read_landing_mixed_formats_and_provenance(tmp_path: Path) -> None:
    part = tmp_path / "orders" / "dt=2021-06-15"
    write_csv(part / "a.csv", ORDER_COLUMNS, [order("o1", "b1", "2021-06-15T10:00:00+08:00", "1")])
    write_csv(
        part / "b.csv.gz",
        ORDER_COLUMNS,
        [order("o2", "b1", "2021-06-15T11:00:00+08:00", "2")],
        gz=True,
    )
    write_jsonl(
        part / "c.jsonl",
        [
            jsonl_order(order("o3", "b1", "2021-06-15T12:00:00+08:00", "3")),
            jsonl_order(order("o4", "b1", "2021-06-15T13:00:00+08:00", "4")),
        ],
    )
    # Parquet with an aware timestamp (UTC) and a decimal amount.
    paid = datetime(2021, 6, 15, 16, 30, tzinfo=UTC)  # Shanghai 2021-06-16 00:30
    table = pa.table(
        {
            "order_id": ["o5"],
            "buyer_id": ["b2"],
            "shop_id": ["shop1"],
            "streamer_id": [None],
            "item_amount": pa.array([D("5.50")], pa.decimal128(18, 2)),
            "discount_amount": pa.array([D("0.50")], pa.decimal128(18, 2)),
            "paid_amount": pa.array([D("5.00")], pa.decimal128(18, 2)),
            "refund_amount": pa.array([None], pa.decimal128(18, 2)),
            "created_at": pa.array([paid], pa.timestamp("us", tz="UTC")),
            "paid_at": pa.array([paid], pa.timestamp("ns", tz="UTC")),
            "updated_at": pa.array([paid], pa.timestamp("us", tz="UTC")),
        }
    )
    (tmp_path / "orders" / "dt=2021-06-16").mkdir(parents=True)
    pq.write_table(table, tmp_path / "orders" / "dt=2021-06-16" / "x.parquet")
    (part / "ignored.txt").write_text("not a landing file")

    records = read_landing(tmp_path)
    assert set(records) == {
        "orders",
        "follows",
        "livestream_sessions",
        "streamers",
        "trust_card_events",
        "enforcement_actions",
    }
    provenance = [(r["order_id"], r["_dt"], r["_file"], r["_row"]) for r in records["orders"]]
    assert sorted(provenance) == [
        ("o1", "2021-06-15", "a.csv", 1),
        ("o2", "2021-06-15", "b.csv.gz", 1),
        ("o3", "2021-06-15", "c.jsonl", 1),
        ("o4", "2021-06-15", "c.jsonl", 2),
        ("o5", "2021-06-16", "x.parquet", 1),
    ]

    marts = compute_marts(tmp_path)
    o5 = marts["fct_orders"][("o5",)]
    assert o5["paid_date"] == date(2021, 6, 16)
    assert o5["gmv"] == D("5.00") and o5["refund_amount"] == D("0.00")
    assert o5["traffic_domain"] == "public"  # no streamer
    assert o5["streamer_order_seq"] is None
    # 06-15: o1..o4 = 1+2+3+4 = 10.00; 06-16: o5 5.00, placed 5.50 - 0.50 = 5.00.
    assert marts["gmv_daily"][(date(2021, 6, 15),)]["gmv"] == D("10.00")
    assert marts["gmv_daily"][(date(2021, 6, 16),)]["placed_gmv"] == D("5.00")
    # b1's four orders: platform seq by paid_at 1..4.
    assert [marts["fct_orders"][(f"o{i}",)]["platform_order_seq"] for i in range(1, 5)] == [
        1,
        2,
        3,
        4,
    ]


def test_months_before() -> None:
    assert months_before(date(2022, 6, 1), 12) == date(2021, 6, 1)
    assert months_before(date(2022, 1, 1), 1) == date(2021, 12, 1)
    assert months_before(date(2022, 3, 1), 14) == date(2021, 1, 1)


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
    write_csv(tmp_path / "orders" / "dt=2021-06-10" / "orders.csv", ORDER_COLUMNS, orders)

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
        FOLLOW_COLUMNS,
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
    write_csv(tmp_path / "orders" / "dt=2021-06-16" / "orders.csv", ORDER_COLUMNS, orders)

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
    write_csv(tmp_path / "orders" / "dt=2021-06-15" / "orders.csv", ORDER_COLUMNS, [first])
    # Refund of 30 exported on 06-25 as a newer version (JSON number, no decimals).
    refunded = jsonl_order(
        dict(first, status="refunded", refund_amount=30, updated_at="2021-06-25T09:00:00+08:00")
    )
    write_jsonl(tmp_path / "orders" / "dt=2021-06-25" / "orders.jsonl", [refunded])
    # A stale re-export of the first version in a later partition must not win (older updated_at).
    write_csv(tmp_path / "orders" / "dt=2021-06-26" / "orders.csv", ORDER_COLUMNS, [first])

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
        ORDER_COLUMNS,
        [dict(base, refund_amount="1"), dict(base, refund_amount="2")],
    )
    write_csv(
        tmp_path / "orders" / "dt=2021-06-21" / "b.csv",
        ORDER_COLUMNS,
        [dict(base, refund_amount="3"), dict(base, refund_amount="4")],
    )
    write_csv(
        tmp_path / "orders" / "dt=2021-06-20" / "z.csv",
        ORDER_COLUMNS,
        [dict(base, refund_amount="9")],
    )
    records = read_landing(tmp_path)
    assert latest_orders(records["orders"])["T1"]["refund_amount"] == "4"
    # updated_at is compared as an instant: 2021-06-20T08:00:01+08:00 is later than 00:00:00Z.
    write_csv(
        tmp_path / "orders" / "dt=2021-06-19" / "a.csv",
        ORDER_COLUMNS,
        [dict(base, refund_amount="5", updated_at="2021-06-20T08:00:01+08:00")],
    )
    marts = compute_marts(tmp_path)
    assert marts["fct_orders"][("T1",)]["refund_amount"] == D("5.00")


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
    write_csv(tmp_path / "orders" / "dt=2021-07-01" / "orders.csv", ORDER_COLUMNS, orders)
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
    write_csv(tmp_path / "orders" / "dt=2022-06-30" / "orders.csv", ORDER_COLUMNS, orders)
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
# Enforcement
# --------------------------------------------------------------------------------------------


def test_enforcement_daily_and_headlines(tmp_path: Path) -> None:
    def action(
        action_id: str, at: str, action_type: str, reason: str, target: str, **extra: Any
    ) -> dict[str, Any]:
        row = {
            "action_id": action_id,
            "action_at": at,
            "action_type": action_type,
            "reason": reason,
            "target_type": extra.pop("target_type", "order"),
            "target_id": target,
            "session_id": None,
            "campaign": None,
            "gang_id": None,
            "case_id": None,
            "reporter_id": None,
            "amount_involved": None,
        }
        row.update(extra)
        return row

    day1 = tmp_path / "enforcement_actions" / "dt=2021-06-15"
    write_jsonl(
        day1 / "actions.jsonl",
        [
            # a1, a2 hit target t1; a1 is re-exported on 06-17 (5.00, smaller file name).
            action(
                "a1",
                "2021-06-15T10:00:00+08:00",
                "brushing_intercept",
                "order_brushing",
                "t1",
                campaign="",
                amount_involved=99,
            ),
            action(
                "a2",
                "2021-06-15T11:00:00+08:00",
                "brushing_intercept",
                "order_brushing",
                "t1",
                amount_involved=12.5,
            ),
            # 16:30Z -> Shanghai 2021-06-16.
            action("a3", "2021-06-15T16:30:00+00:00", "brushing_intercept", "order_brushing", "t3"),
            action(
                "a4",
                "2021-06-15T12:00:00+08:00",
                "room_ban",
                "private_order",
                "R1",
                target_type="live_room",
            ),
        ],
    )
    write_csv(
        tmp_path / "enforcement_actions" / "dt=2021-06-16" / "actions.csv",
        list(action("x", "", "", "", "").keys()),
        [
            action(
                "a5",
                "2021-06-16T09:00:00+08:00",
                "room_ban",
                "private_order",
                "R1",
                target_type="live_room",
                gang_id="g1",
                case_id="c1",
            ),
            action(
                "a6",
                "2021-06-16T10:00:00+08:00",
                "room_ban",
                "private_order",
                "R2",
                target_type="live_room",
                gang_id="",
                case_id="",
            ),
            action(
                "a7",
                "2021-06-16T11:00:00+08:00",
                "penalty",
                "false_advertising",
                "st9",
                target_type="streamer",
                campaign="pinocchio",
                amount_involved="100",
            ),
            action(
                "a8",
                "2021-06-16T12:00:00+08:00",
                "room_ban",
                "other",
                "R3",
                target_type="live_room",
            ),
        ],
    )
    write_jsonl(
        tmp_path / "enforcement_actions" / "dt=2021-06-17" / "a_reexport.jsonl",
        [
            action(
                "a1",
                "2021-06-15T10:00:00+08:00",
                "brushing_intercept",
                "order_brushing",
                "t1",
                amount_involved="5.00",
            ),
        ],
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


def test_same_instant_in_shanghai_is_one_calendar_day() -> None:
    # Sanity check of the time-zone handling used throughout.
    midnight = datetime(2021, 6, 15, 16, 0, tzinfo=UTC)  # 2021-06-16 00:00+08:00
    assert midnight.astimezone(SHANGHAI).date() == date(2021, 6, 16)
    assert (midnight - timedelta(seconds=1)).astimezone(SHANGHAI).date() == date(2021, 6, 15)


# --------------------------------------------------------------------------------------------
# Livestream sessions and the GMV decomposition
# --------------------------------------------------------------------------------------------


def session(session_id: str, started_at: str, viewers: int, followers: int, seconds: int, **extra):
    row = {
        "session_id": session_id,
        "streamer_id": "s1",
        "started_at": started_at,
        "ended_at": started_at,
        "viewers": viewers,
        "follower_viewers": followers,
        "watch_seconds": seconds,
        "peak_concurrent": 5,
        "interactions": 7,
    }
    row.update(extra)
    return row


def test_sessions_and_gmv_decomposition(tmp_path: Path) -> None:
    sessions = tmp_path / "livestream_sessions"
    write_csv(
        sessions / "dt=2021-06-10" / "s.csv",
        SESSION_COLUMNS,
        [
            session("S1", "2021-06-10T20:00:00+08:00", 100, 30, 36000),
            # 23:30 Shanghai on 06-30: a June session, even though its orders are paid in July.
            session("S3", "2021-06-30T23:30:00+08:00", 80, 20, 12030),
            # 16:30Z = 2021-07-01 00:30 Shanghai: a July session.
            session("S2", "2021-06-30T16:30:00+00:00", 10, 10, 600),
        ],
    )
    # Re-export of S1 on a later export date: 120 viewers wins.
    write_jsonl(
        sessions / "dt=2021-06-11" / "s.jsonl",
        [session("S1", "2021-06-10T20:00:00+08:00", 120, 30, 36000, peak_concurrent=50)],
    )
    write_csv(
        tmp_path / "follows" / "dt=2021-06-01" / "f.csv",
        FOLLOW_COLUMNS,
        [
            {
                "event_id": "e1",
                "follower_id": "b2",
                "streamer_id": "s1",
                "event_type": "follow",
                "event_at": "2021-06-01T00:00:00+08:00",
            }
        ],
    )
    orders = [
        order("o1", "b1", "2021-06-10T20:10:00+08:00", "99.99", session_id="S1"),
        order("o2", "b1", "2021-06-10T20:20:00+08:00", "33.33", session_id="S1"),
        order("o3", "b2", "2021-06-10T20:30:00+08:00", "0.01", session_id="S1"),  # private
        order("o4", "b1", "2021-07-01T00:10:00+08:00", "19.97", session_id="S3"),
        order("o5", "b3", None, "500", session_id="S3"),  # never paid: not counted
        order("o6", "b3", "2021-06-10T20:40:00+08:00", "7.00", session_id="S9"),  # no such session
    ]
    write_csv(tmp_path / "orders" / "dt=2021-07-01" / "o.csv", ORDER_COLUMNS, orders)

    marts = compute_marts(tmp_path)
    fct = marts["fct_livestream_sessions"]
    assert set(fct) == {("S1",), ("S2",), ("S3",)}
    s1 = fct[("S1",)]
    # Latest export: 120 viewers, of whom 30 followers -> 90 public; 36000 s = 600.0 min.
    assert (s1["viewers"], s1["follower_viewers"], s1["public_viewers"]) == (120, 30, 90)
    assert (s1["watch_minutes"], s1["peak_concurrent"], s1["interactions"]) == (600.0, 50, 7)
    # o1 + o2 + o3 = 99.99 + 33.33 + 0.01 = 133.33 by b1, b2; o3 (b2 follows s1) is private.
    assert (s1["orders"], s1["buyers"], s1["gmv"], s1["private_gmv"]) == (
        3,
        2,
        D("133.33"),
        D("0.01"),
    )
    assert fct[("S2",)]["session_date"] == date(2021, 7, 1)
    assert fct[("S2",)]["started_at"] == datetime(2021, 7, 1, 0, 30, tzinfo=SHANGHAI)
    assert (fct[("S2",)]["gmv"], fct[("S2",)]["orders"]) == (D("0.00"), 0)
    assert fct[("S3",)]["session_date"] == date(2021, 6, 30)
    assert (fct[("S3",)]["orders"], fct[("S3",)]["gmv"]) == (1, D("19.97"))

    decomposition = marts["gmv_decomposition_monthly"]
    assert set(decomposition) == {(date(2021, 6, 1), "s1"), (date(2021, 7, 1), "s1")}
    june = decomposition[(date(2021, 6, 1), "s1")]
    # S1 + S3: viewers 120 + 80 = 200 (50 followers, 150 public); 36000 + 12030 s = 800.5 min;
    # orders o1..o4 = 4, distinct buyers {b1, b2} = 2 (b1 bought in both sessions);
    # gmv 133.33 + 19.97 = 153.30.
    assert (june["sessions"], june["viewers"], june["private_viewers"]) == (2, 200, 50)
    assert (june["public_viewers"], june["watch_minutes"]) == (150, 800.5)
    assert (june["orders"], june["buyers"], june["gmv"]) == (4, 2, D("153.30"))
    # Factors: 800.5 / 200 = 4.0025; 2 / 800.5; 153.30 / 4 = 38.325; 4 / 2 = 2.0.
    assert june["watch_minutes_per_viewer"] == pytest.approx(4.0025)
    assert june["buyers_per_watch_minute"] == pytest.approx(2 / 800.5)
    assert june["avg_order_value"] == pytest.approx(38.325)
    assert june["orders_per_buyer"] == 2.0
    # 200 × 4.0025 × (2 / 800.5) × 38.325 × 2 = 800.5 × (2 / 800.5) × 76.65 = 153.30.
    for row in decomposition.values():
        if row["orders"] == 0:
            continue
        product = (
            row["viewers"]
            * row["watch_minutes_per_viewer"]
            * row["buyers_per_watch_minute"]
            * row["avg_order_value"]
            * row["orders_per_buyer"]
        )
        assert Decimal(repr(product)).quantize(D("0.01")) == row["gmv"]
    # July: S2 only, no orders: 600 s / 10 viewers = 1.0 min each; 0 buyers / 10.0 min = 0.0;
    # the order-based factors have a zero denominator.
    july = decomposition[(date(2021, 7, 1), "s1")]
    assert (july["viewers"], july["watch_minutes"], july["gmv"]) == (10, 10.0, D("0.00"))
    assert (july["watch_minutes_per_viewer"], july["buyers_per_watch_minute"]) == (1.0, 0.0)
    assert july["avg_order_value"] is None and july["orders_per_buyer"] is None


# --------------------------------------------------------------------------------------------
# Fan tiers and GMV slices
# --------------------------------------------------------------------------------------------


def test_fan_tier_seed_boundaries() -> None:
    tiers = read_fan_tiers()
    # Lower bounds inclusive, upper bounds exclusive, the last tier unbounded.
    assert fan_tier_of(0, tiers) == "<10k"
    assert fan_tier_of(99_999, tiers) == "10k-100k"
    assert fan_tier_of(100_000, tiers) == "100k-1M"
    assert fan_tier_of(999_999, tiers) == "100k-1M"
    assert fan_tier_of(10_000_000, tiers) == ">=10M"
    assert fan_tier_of(10**12, tiers) == ">=10M"


def test_fan_tier_monthly(tmp_path: Path) -> None:
    def snapshot(streamer_id: str, followers: int) -> dict[str, Any]:
        return {
            "streamer_id": streamer_id,
            "shop_id": "",
            "category": "food",
            "follower_count": followers,
            "created_at": "2020-01-01T00:00:00+08:00",
        }

    streamers = tmp_path / "streamers"
    # sA: 9,999,999 on 06-05, then exactly 100,000 on 06-30 (the last June snapshot wins).
    write_csv(streamers / "dt=2021-06-05" / "s.csv", STREAMER_COLUMNS, [snapshot("sA", 9999999)])
    write_csv(
        streamers / "dt=2021-06-30" / "s.csv",
        STREAMER_COLUMNS,
        [snapshot("sA", 100000), snapshot("sB", 99999)],
    )
    # sC: no June snapshot (unknown in June); 10,000,000 on 07-01 -> '>=10M' in July.
    write_csv(streamers / "dt=2021-07-01" / "s.csv", STREAMER_COLUMNS, [snapshot("sC", 10**7)])
    write_csv(
        tmp_path / "livestream_sessions" / "dt=2021-06-30" / "s.csv",
        SESSION_COLUMNS,
        [
            session("A1", "2021-06-10T20:00:00+08:00", 10, 1, 60, streamer_id="sA"),
            session("A2", "2021-06-11T20:00:00+08:00", 10, 1, 60, streamer_id="sA"),
            session("B1", "2021-06-12T20:00:00+08:00", 10, 1, 60, streamer_id="sB"),
        ],
    )
    orders = [
        order("oA", "b1", "2021-06-10T20:10:00+08:00", "100", streamer_id="sA"),
        order("oB", "b2", "2021-06-12T20:10:00+08:00", "50", streamer_id="sB"),
        order("oC", "b3", "2021-06-13T20:10:00+08:00", "25", streamer_id="sC"),
        order("oN", "b4", "2021-06-14T20:10:00+08:00", "10", streamer_id=""),  # no streamer
        order("oC2", "b3", "2021-07-01T20:10:00+08:00", "40", streamer_id="sC"),
    ]
    write_csv(tmp_path / "orders" / "dt=2021-07-01" / "o.csv", ORDER_COLUMNS, orders)

    marts = compute_marts(tmp_path)
    tiers = marts["fan_tier_monthly"]
    june, july = date(2021, 6, 1), date(2021, 7, 1)
    assert set(tiers) == {
        (june, "100k-1M"),
        (june, "10k-100k"),
        (june, "unknown"),
        (july, ">=10M"),
    }
    # June totals: sessions A1, A2, B1 = 3; streamer GMV 100 + 50 + 25 = 175.00 (oN excluded).
    mid = tiers[(june, "100k-1M")]
    assert (mid["streamers"], mid["sessions"], mid["gmv"]) == (1, 2, D("100.00"))
    assert (mid["total_sessions"], mid["total_gmv"]) == (3, D("175.00"))
    assert mid["session_share"] == pytest.approx(2 / 3)
    assert mid["gmv_share"] == pytest.approx(100 / 175)
    small = tiers[(june, "10k-100k")]
    assert (small["sessions"], small["gmv"]) == (1, D("50.00"))
    assert small["gmv_share"] == pytest.approx(50 / 175)
    unknown = tiers[(june, "unknown")]
    assert (unknown["streamers"], unknown["sessions"], unknown["gmv"]) == (1, 0, D("25.00"))
    assert unknown["session_share"] == 0.0
    # July: only oC2 (40.00) by sC; no sessions -> session_share None.
    top = tiers[(july, ">=10M")]
    assert (top["sessions"], top["gmv"], top["gmv_share"]) == (0, D("40.00"), 1.0)
    assert top["session_share"] is None

    by_dimension = marts["gmv_monthly_by_dimension"]
    fan = {k[2]: r["gmv"] for k, r in by_dimension.items() if k[:2] == (june, "fan_tier")}
    assert fan == {
        "100k-1M": D("100.00"),
        "10k-100k": D("50.00"),
        "unknown": D("25.00"),
        "none": D("10.00"),
    }
    assert by_dimension[(july, "fan_tier", ">=10M")]["gmv"] == D("40.00")
    assert by_dimension[(june, "streamer", "none")]["orders"] == 1


def test_gmv_monthly_by_dimension_growth(tmp_path: Path) -> None:
    orders = [
        order("y1", "b1", "2020-06-10T10:00:00+08:00", "50"),
        # A counted order of 0.00 in May 2021: prior month exists but is 0 -> growth None.
        order("m1", "b1", "2021-05-10T10:00:00+08:00", "0"),
        order("j1", "b1", "2021-06-10T10:00:00+08:00", "120", refund_amount="20"),
        order("j2", "b2", "2021-06-11T10:00:00+08:00", "30", shop_id="shop2"),
        order("j3", "b2", "2021-06-12T10:00:00+08:00", "10", shop_id="shop2"),
    ]
    write_csv(tmp_path / "orders" / "dt=2021-06-12" / "o.csv", ORDER_COLUMNS, orders)
    rows = compute_marts(tmp_path)["gmv_monthly_by_dimension"]
    june = rows[(date(2021, 6, 1), "platform", "all")]
    # June: 120 + 30 + 10 = 160.00, net 160 - 20 = 140.00, 3 orders, buyers b1, b2.
    assert (june["gmv"], june["net_gmv"], june["orders"], june["buyers"]) == (
        D("160.00"),
        D("140.00"),
        3,
        2,
    )
    # Prior month 0.00 -> mom None; prior year 50.00 -> 160 / 50 - 1 = 2.2.
    assert (june["prior_month_gmv"], june["mom_growth"]) == (D("0.00"), None)
    assert june["prior_year_gmv"] == D("50.00")
    assert june["yoy_growth"] == pytest.approx(2.2)
    # shop2 had no orders before June 2021: both priors missing.
    shop2 = rows[(date(2021, 6, 1), "shop", "shop2")]
    assert (shop2["gmv"], shop2["buyers"]) == (D("40.00"), 1)
    assert (shop2["prior_month_gmv"], shop2["prior_year_gmv"]) == (None, None)
    assert shop2["mom_growth"] is None and shop2["yoy_growth"] is None
    # shop1 June 120.00 vs May 0.00 and June 2020 50.00: yoy 120 / 50 - 1 = 1.4.
    assert rows[(date(2021, 6, 1), "shop", "shop1")]["yoy_growth"] == pytest.approx(1.4)
    # May 2021: prior month April has no orders -> None; prior year May 2020 neither.
    may = rows[(date(2021, 5, 1), "platform", "all")]
    assert (may["prior_month_gmv"], may["prior_year_gmv"]) == (None, None)
    dims = {k[1] for k in rows}
    assert dims == {
        "platform",
        "shop",
        "streamer",
        "category",
        "entry_point",
        "traffic_domain",
        "fan_tier",
    }
    # No streamer snapshots at all: s1 is 'unknown' every month.
    assert rows[(date(2021, 6, 1), "fan_tier", "unknown")]["gmv"] == D("160.00")


# --------------------------------------------------------------------------------------------
# Festivals
# --------------------------------------------------------------------------------------------


def test_festival_baseline(tmp_path: Path) -> None:
    orders = [
        # 31 days before the festival: outside the 30-day baseline.
        order("x0", "b1", "2021-05-10T10:00:00+08:00", "1000"),
        # Exactly 30 days before 06-10 (05-11) and the day before (06-09): baseline.
        order("x1", "b1", "2021-05-11T10:00:00+08:00", "50"),
        order("x2", "b1", "2021-06-09T10:00:00+08:00", "100"),
        # 06-08: only an unpaid order -> a gmv_daily day with gmv 0.00, still a baseline day.
        order("x3", "b2", None, "7", created_at="2021-06-08T10:00:00+08:00"),
        # Festival 06-10..06-12: 300.00 on 06-10; 06-11 unpaid only; 06-12 no data at all.
        order("f1", "b1", "2021-06-10T10:00:00+08:00", "300"),
        order("f2", "b2", None, "9", created_at="2021-06-11T10:00:00+08:00"),
    ]
    for row in orders:
        if not row["paid_at"]:
            row["updated_at"] = row["created_at"]
    write_csv(tmp_path / "orders" / "dt=2021-06-12" / "o.csv", ORDER_COLUMNS, orders)
    festivals = [
        {
            "festival_id": "F",
            "festival_name": "three days",
            "start_date": date(2021, 6, 10),
            "end_date": date(2021, 6, 12),
        },
        {  # no gmv_daily day inside -> no row
            "festival_id": "G",
            "festival_name": "empty",
            "start_date": date(2021, 7, 1),
            "end_date": date(2021, 7, 3),
        },
        {  # one day, nothing in the 30 days before -> baseline None, uplift None
            "festival_id": "H",
            "festival_name": "no baseline",
            "start_date": date(2021, 5, 10),
            "end_date": date(2021, 5, 10),
        },
    ]
    marts = compute_marts_from_records(read_landing(tmp_path), festivals=festivals)
    rows = marts["festival_gmv"]
    assert set(rows) == {("F",), ("H",)}
    f = rows[("F",)]
    # Festival: 3 calendar days, gmv 300.00 in 1 order -> 300 / 3 = 100.0 a day.
    assert (f["festival_days"], f["gmv"], f["orders"]) == (3, D("300.00"), 1)
    assert f["festival_daily_gmv"] == 100.0
    # Baseline [05-11, 06-09]: days 05-11 (50), 06-08 (0), 06-09 (100) = 3 days, 150.00
    # -> 50.0 a day; uplift 100 / 50 = 2.0.
    assert (f["baseline_days"], f["baseline_gmv"], f["baseline_daily_gmv"]) == (
        3,
        D("150.00"),
        50.0,
    )
    assert f["uplift"] == 2.0
    h = rows[("H",)]
    assert (h["gmv"], h["festival_daily_gmv"], h["baseline_days"]) == (D("1000.00"), 1000.0, 0)
    assert (h["baseline_gmv"], h["baseline_daily_gmv"], h["uplift"]) == (D("0.00"), None, None)
    # With the real calendar seed, June 2021 data falls in 616_2021 (06-01..06-18) only.
    seeded = compute_marts(tmp_path)["festival_gmv"]
    assert set(seeded) == {("616_2021",)}
    assert seeded[("616_2021",)]["festival_days"] == 18
    assert seeded[("616_2021",)]["gmv"] == D("400.00")  # x2 + f1


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
    write_csv(tmp_path / "orders" / "dt=2021-05-01" / "o.csv", ORDER_COLUMNS, orders)
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


# --------------------------------------------------------------------------------------------
# Trust card
# --------------------------------------------------------------------------------------------


def test_trust_card_intervals_and_impact(tmp_path: Path) -> None:
    def ev(event_id: str, shop: str, right: str, kind: str, at: str) -> dict[str, Any]:
        return {
            "event_id": event_id,
            "shop_id": shop,
            "right": right,
            "event_type": kind,
            "event_at": at,
        }

    rsc = "return_shipping_comp"
    events = tmp_path / "trust_card_events"
    write_csv(
        events / "dt=2021-07-10" / "e.csv",
        TRUST_COLUMNS,
        [
            ev("e1", "A", rsc, "enabled", "2021-06-01T00:00:00+08:00"),
            ev("e2", "A", rsc, "enabled", "2021-06-20T00:00:00+08:00"),  # already held: ignored
            ev("e3", "A", rsc, "disabled", "2021-07-10T00:00:00+08:00"),
            ev("e4", "B", "fast_refund", "disabled", "2021-06-01T00:00:00+08:00"),  # ignored
            ev("e5", "B", "fake_one_pay_ten", "enabled", "2021-06-15T00:00:00+08:00"),
        ],
    )
    # e3 re-exported later with a corrected time: the latest export wins.
    write_jsonl(
        events / "dt=2021-07-11" / "e.jsonl",
        [ev("e3", "A", rsc, "disabled", "2021-07-11T00:00:00+08:00")],
    )
    t = datetime(2021, 6, 1, tzinfo=SHANGHAI)
    orders = [
        # Shop A before [03-03 00:00, 06-01 00:00): x twice, y once; w 1 s too early.
        order("a-w", "w", "2021-03-02T23:59:59+08:00", "1", shop_id="A"),
        order("a-x1", "x", "2021-04-01T10:00:00+08:00", "1", shop_id="A"),
        order("a-x2", "x", "2021-05-01T10:00:00+08:00", "1", shop_id="A"),
        order("a-y1", "y", "2021-05-15T10:00:00+08:00", "1", shop_id="A"),
        # Shop A after [06-01 00:00, 08-30 00:00): x (at exactly 06-01 00:00) twice, y twice,
        # z once.
        order("a-x3", "x", "2021-06-01T00:00:00+08:00", "1", shop_id="A"),
        order("a-x4", "x", "2021-06-10T10:00:00+08:00", "1", shop_id="A"),
        order("a-y2", "y", "2021-06-05T10:00:00+08:00", "1", shop_id="A"),
        order("a-y3", "y", "2021-06-20T10:00:00+08:00", "1", shop_id="A"),
        order("a-z1", "z", "2021-07-01T10:00:00+08:00", "1", shop_id="A"),
        # Shop B (never held return_shipping_comp: the control) before: p once, q twice.
        order("b-p1", "p", "2021-05-01T10:00:00+08:00", "1", shop_id="B"),
        order("b-q1", "q", "2021-04-10T10:00:00+08:00", "1", shop_id="B"),
        order("b-q2", "q", "2021-04-20T10:00:00+08:00", "1", shop_id="B"),
        # Shop B after: p once, x once.
        order("b-p2", "p", "2021-06-02T10:00:00+08:00", "1", shop_id="B"),
        order("b-x1", "x", "2021-06-03T10:00:00+08:00", "1", shop_id="B"),
    ]
    write_csv(tmp_path / "orders" / "dt=2021-07-01" / "o.csv", ORDER_COLUMNS, orders)
    marts = compute_marts(tmp_path)

    dim = marts["dim_shop_trust_rights"]
    b_enabled = datetime(2021, 6, 15, tzinfo=SHANGHAI)
    assert set(dim) == {("A", rsc, t), ("B", "fake_one_pay_ten", b_enabled)}
    assert dim[("A", rsc, t)]["disabled_at"] == datetime(2021, 7, 11, tzinfo=SHANGHAI)
    assert dim[("B", "fake_one_pay_ten", b_enabled)]["disabled_at"] is None

    impact = marts["trust_card_impact"]
    assert set(impact) == set(dim)
    a = impact[("A", rsc, t)]
    # Shop A before: buyers x, y = 2; repeat x = 1 -> 0.5.
    assert (a["before_buyers"], a["before_repeat_buyers"], a["before_rate"]) == (2, 1, 0.5)
    # Shop A after: x, y, z = 3; repeat x, y = 2 -> 2/3.
    assert (a["after_buyers"], a["after_repeat_buyers"]) == (3, 2)
    assert a["after_rate"] == pytest.approx(2 / 3)
    # Control (B): before p, q = 2, repeat q -> 0.5; after p, x = 2, repeat 0 -> 0.0.
    assert (a["control_before_buyers"], a["control_before_repeat_buyers"]) == (2, 1)
    assert (a["control_after_buyers"], a["control_after_repeat_buyers"]) == (2, 0)
    assert (a["control_before_rate"], a["control_after_rate"]) == (0.5, 0.0)
    # diff in diff = (2/3 - 1/2) - (0 - 1/2) = 1/6 + 1/2 = 2/3.
    assert a["diff_in_diff"] == pytest.approx(2 / 3)
    # 06-01 + 90 days = 08-30 > last payment 07-01 10:00.
    assert a["after_window_complete"] is False
    # B's fake_one_pay_ten: control is A. A's before window [03-17, 06-15): x twice (04-01,
    # 05-01), y (05-15, 06-05), x again 06-01 and 06-10 -> x 4 orders, y 2 -> 2 buyers, 2 repeat.
    b = impact[("B", "fake_one_pay_ten", b_enabled)]
    assert (b["control_before_buyers"], b["control_before_repeat_buyers"]) == (2, 2)
    # B before [03-17, 06-15): p (05-01, 06-02), q (04-10, 04-20), x (06-03) -> 3 buyers, 2 repeat.
    assert (b["before_buyers"], b["before_repeat_buyers"]) == (3, 2)
    # B after [06-15, 09-13): nothing -> rate None -> diff_in_diff None.
    assert (b["after_buyers"], b["after_rate"], b["diff_in_diff"]) == (0, None, None)


# --------------------------------------------------------------------------------------------
# Refunds on the day they are recorded
# --------------------------------------------------------------------------------------------


def test_refunds_recorded_across_versions(tmp_path: Path) -> None:
    v1 = order("X", "b1", "2021-06-15T12:00:00+08:00", "100")
    v2 = dict(v1, refund_amount="40", status="refunded", updated_at="2021-06-20T09:00:00+08:00")
    # A correction: the cumulative refund goes down from 40 to 25.
    v3 = dict(v1, refund_amount="25", status="refunded", updated_at="2021-06-22T09:00:00+08:00")
    write_csv(tmp_path / "orders" / "dt=2021-06-15" / "o.csv", ORDER_COLUMNS, [v1])
    write_csv(tmp_path / "orders" / "dt=2021-06-20" / "o.csv", ORDER_COLUMNS, [v2])
    write_csv(tmp_path / "orders" / "dt=2021-06-22" / "o.csv", ORDER_COLUMNS, [v3])
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


# --------------------------------------------------------------------------------------------
# Enforcement: months, gangs, headlines, beside commerce
# --------------------------------------------------------------------------------------------


def enforcement_action(
    action_id: str, at: str, action_type: str, reason: str, target_type: str, target: str, **extra
) -> dict[str, Any]:
    row = {
        "action_id": action_id,
        "action_at": at,
        "action_type": action_type,
        "reason": reason,
        "target_type": target_type,
        "target_id": target,
        "session_id": None,
        "campaign": None,
        "gang_id": None,
        "case_id": None,
        "reporter_id": None,
        "amount_involved": None,
    }
    row.update(extra)
    return row


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
    write_csv(tmp_path / "orders" / "dt=2021-07-10" / "o.csv", ORDER_COLUMNS, orders)
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

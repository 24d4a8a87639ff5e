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
    SHANGHAI,
    compute_headlines,
    compute_marts,
    latest_orders,
    months_before,
    read_landing,
)

ORDER_COLUMNS = [
    "order_id",
    "buyer_id",
    "shop_id",
    "streamer_id",
    "session_id",
    "product_id",
    "category",
    "quantity",
    "item_amount",
    "discount_amount",
    "paid_amount",
    "refund_amount",
    "status",
    "entry_point",
    "created_at",
    "paid_at",
    "updated_at",
]
FOLLOW_COLUMNS = ["event_id", "follower_id", "streamer_id", "event_type", "event_at"]


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
    # The refund restates the paid day 06-15; there is no 06-25 row (created 06-15).
    assert set(marts["gmv_daily"]) == {(date(2021, 6, 15),)}
    day = marts["gmv_daily"][(date(2021, 6, 15),)]
    assert (day["gmv"], day["refund_amount"], day["net_gmv"]) == (
        D("100.00"),
        D("30.00"),
        D("70.00"),
    )
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

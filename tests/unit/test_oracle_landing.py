"""The oracle (tests/oracle) reads every landing format with its provenance, and counts calendar
days in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from helpers import jsonl_order, order, write_csv, write_jsonl
from oracle import SHANGHAI, SOURCES, compute_marts, read_landing
from oracle.values import months_before

D = Decimal


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def test_read_landing_mixed_formats_and_provenance(tmp_path: Path) -> None:
    part = tmp_path / "orders" / "dt=2021-06-15"
    write_csv(part / "a.csv", [order("o1", "b1", "2021-06-15T10:00:00+08:00", "1")])
    write_csv(
        part / "b.csv.gz",
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
    # Every source has its list, even those without a file.
    assert set(records) == set(SOURCES)
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
# Time zone
# --------------------------------------------------------------------------------------------


def test_same_instant_in_shanghai_is_one_calendar_day() -> None:
    # Sanity check of the time-zone handling used throughout.
    midnight = datetime(2021, 6, 15, 16, 0, tzinfo=UTC)  # 2021-06-16 00:00+08:00
    assert midnight.astimezone(SHANGHAI).date() == date(2021, 6, 16)
    assert (midnight - timedelta(seconds=1)).astimezone(SHANGHAI).date() == date(2021, 6, 15)

"""The oracle's fan tiers, monthly GMV slices and festival GMV, hand-computed on tiny landing
fixtures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from helpers import order, session, write_csv
from oracle import compute_marts, compute_marts_from_records, read_landing
from oracle.audience import fan_tier_of, read_fan_tiers

D = Decimal


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
    write_csv(streamers / "dt=2021-06-05" / "s.csv", [snapshot("sA", 9999999)])
    write_csv(
        streamers / "dt=2021-06-30" / "s.csv",
        [snapshot("sA", 100000), snapshot("sB", 99999)],
    )
    # sC: no June snapshot (unknown in June); 10,000,000 on 07-01 -> '>=10M' in July.
    write_csv(streamers / "dt=2021-07-01" / "s.csv", [snapshot("sC", 10**7)])
    write_csv(
        tmp_path / "livestream_sessions" / "dt=2021-06-30" / "s.csv",
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
    write_csv(tmp_path / "orders" / "dt=2021-07-01" / "o.csv", orders)

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
    write_csv(tmp_path / "orders" / "dt=2021-06-12" / "o.csv", orders)
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
    write_csv(tmp_path / "orders" / "dt=2021-06-12" / "o.csv", orders)
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

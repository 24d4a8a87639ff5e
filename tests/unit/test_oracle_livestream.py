"""The oracle's livestream sessions and GMV decomposition, hand-computed on tiny landing
fixtures."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import order, session, write_csv, write_jsonl
from oracle import SHANGHAI, compute_marts

D = Decimal


# --------------------------------------------------------------------------------------------
# Livestream sessions and the GMV decomposition
# --------------------------------------------------------------------------------------------


def test_sessions_and_gmv_decomposition(tmp_path: Path) -> None:
    sessions = tmp_path / "livestream_sessions"
    write_csv(
        sessions / "dt=2021-06-10" / "s.csv",
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
    write_csv(tmp_path / "orders" / "dt=2021-07-01" / "o.csv", orders)

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

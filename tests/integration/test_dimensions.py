"""dim_streamers, dim_shops and dim_fan_tiers on the hand-checkable sample (seeds/sample).

The sample in short (tests/integration/test_dbt_sample.py has every detail; Beijing times):
  streamers snapshot 2021-06-30: s1 shop sh1 美妆 150,000 followers; s2 shop sh2 food 8,000
  sessions: sess1 s1 06-01 19:00; sess2 s1 06-15 22:00 (ends 06-16)
  counted orders (fct_orders): o1 b1 sh1 s1 06-01 100.00 refund 30.00 private
    o2 b1 sh1 s1 06-15 50.00 private; o3 b1 sh2 s2 06-16 40.00; o4 b2 sh1 s1 06-10 80.00
    o5 b3 sh2 s2 06-06 60.00; o6 b3 sh2 s2 06-21 60.00 private; o7 b2 sh2 (no streamer) 07-02
    25.50; o9, o10 b4 sh1 s1 07-05 20.00, 10.00
  trust card: sh1 enables return_shipping_comp 06-05, never disables
  enforcement: a9 penalty against shop sh2 on 06-20 (the only action aimed at a shop)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path

from helpers import query_dicts

D = Decimal


def rows_by_key(database: Path, mart: str, key: str, columns: Iterable[str]) -> dict[str, dict]:
    """The rows of marts.<mart> by their `key` value, each with the named columns."""
    sql = f"select {key}, {', '.join(columns)} from marts.{mart}"
    return {row.pop(key): row for row in query_dicts(database, sql)}


def test_dim_streamers(sample_warehouse: Path) -> None:
    # s1: 150,000 followers is in 100k-1M, the 3rd tier. Two sessions (06-01, 06-15: sess2
    # starts 22:00 on the 15th). Orders o1, o2, o4, o9, o10 = 100 + 50 + 80 + 20 + 10 = 260.00,
    # net 260 - 30 (o1's refund) = 230.00, buyers b1, b2, b4; private o1 + o2 = 150.00.
    s1 = {
        "shop_id": "sh1", "category": "美妆", "followers_as_of": date(2021, 6, 30),
        "follower_count": 150_000, "fan_tier": "100k-1M", "fan_tier_order": 3,
        "first_session_date": date(2021, 6, 1), "last_session_date": date(2021, 6, 15),
        "sessions": 2, "first_paid_date": date(2021, 6, 1), "last_paid_date": date(2021, 7, 5),
        "orders": 5, "buyers": 3, "gmv": D("260.00"), "net_gmv": D("230.00"),
        "private_gmv": D("150.00"),
    }  # fmt: skip
    # s2: 8,000 followers is <10k, the 1st tier; no session; o3, o5, o6 = 40 + 60 + 60 = 160.00,
    # buyers b1, b3; private o6 only (b3 re-followed on 06-20, before paying on 06-21).
    s2 = {
        "shop_id": "sh2", "category": "food", "followers_as_of": date(2021, 6, 30),
        "follower_count": 8_000, "fan_tier": "<10k", "fan_tier_order": 1,
        "first_session_date": None, "last_session_date": None,
        "sessions": 0, "first_paid_date": date(2021, 6, 6), "last_paid_date": date(2021, 6, 21),
        "orders": 3, "buyers": 2, "gmv": D("160.00"), "net_gmv": D("160.00"),
        "private_gmv": D("60.00"),
    }  # fmt: skip
    assert rows_by_key(sample_warehouse, "dim_streamers", "streamer_id", s1) == {"s1": s1, "s2": s2}


def test_dim_shops(sample_warehouse: Path) -> None:
    # sh1: s1's shop; holds return_shipping_comp since 06-05; never penalised; orders o1, o2,
    # o4, o9, o10 (the same as s1's).
    sh1 = {
        "streamers": 1, "trust_rights_held": "return_shipping_comp",
        "trust_rights_held_count": 1, "first_trust_right_date": date(2021, 6, 5),
        "enforcement_actions": 0, "penalties": 0, "last_penalty_date": None,
        "first_paid_date": date(2021, 6, 1), "last_paid_date": date(2021, 7, 5),
        "orders": 5, "buyers": 3, "gmv": D("260.00"), "net_gmv": D("230.00"),
        "private_gmv": D("150.00"),
    }  # fmt: skip
    # sh2: s2's shop; no trust right; penalised once (a9, 06-20); orders o3, o5, o6 and o7 (no
    # streamer) = 40 + 60 + 60 + 25.50 = 185.50, buyers b1, b3, b2; private o6 = 60.00.
    sh2 = {
        "streamers": 1, "trust_rights_held": None, "trust_rights_held_count": 0,
        "first_trust_right_date": None, "enforcement_actions": 1, "penalties": 1,
        "last_penalty_date": date(2021, 6, 20),
        "first_paid_date": date(2021, 6, 6), "last_paid_date": date(2021, 7, 2),
        "orders": 4, "buyers": 3, "gmv": D("185.50"), "net_gmv": D("185.50"),
        "private_gmv": D("60.00"),
    }  # fmt: skip
    assert rows_by_key(sample_warehouse, "dim_shops", "shop_id", sh1) == {"sh1": sh1, "sh2": sh2}


def test_dimensions_add_up_to_the_facts(sample_warehouse: Path) -> None:
    """Lifetime GMV of the shops is all GMV; of the streamers, all streamer-sold GMV."""
    [row] = query_dicts(
        sample_warehouse,
        """select (select sum(gmv) from marts.dim_shops) as shops,
                  (select sum(gmv) from marts.gmv_daily) as platform,
                  (select sum(gmv) from marts.dim_streamers) as streamers,
                  (select sum(gmv) from marts.fct_orders where streamer_id is not null) as sold""",
    )
    assert row["shops"] == row["platform"] == D("445.50")  # 390.00 in June + 55.50 in July
    assert row["streamers"] == row["sold"] == D("420.00")  # less o7's 25.50


def test_fan_tiers_sort_in_their_natural_order(sample_warehouse: Path) -> None:
    tiers = query_dicts(
        sample_warehouse,
        "select fan_tier from marts.dim_fan_tiers order by fan_tier_order",
    )
    assert [t["fan_tier"] for t in tiers] == [
        "<10k", "10k-100k", "100k-1M", "1M-10M", ">=10M", "unknown"
    ]  # fmt: skip


def test_top_streamers_with_their_fan_tier_is_one_query(published_sample: Path) -> None:
    """The BI question the issue could not answer, on the published copy."""
    top = query_dicts(
        published_sample,
        """select streamer_id, fan_tier, gmv from marts.dim_streamers
           order by gmv desc limit 10""",
    )
    assert top == [
        {"streamer_id": "s1", "fan_tier": "100k-1M", "gmv": D("260.00")},
        {"streamer_id": "s2", "fan_tier": "<10k", "gmv": D("160.00")},
    ]

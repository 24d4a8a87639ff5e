"""Fan tiers (the reference seed and each streamer's tier by month), the monthly GMV slices with
their growth, and fan_tier_monthly."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

from .landing import REFERENCE_DIR, provenance
from .values import (
    ZERO,
    Key,
    Mart,
    Record,
    month_start,
    months_before,
    parse_id,
    parse_int,
    ratio,
    required_int,
)

FanTiers = list[tuple[str, int, int | None]]


def read_fan_tiers(path: Path | None = None) -> FanTiers:
    """(fan_tier, min_followers inclusive, max_followers_exclusive or None) from the seed."""
    with (path or REFERENCE_DIR / "fan_tiers.csv").open(encoding="utf-8", newline="") as text:
        return [
            (
                row["fan_tier"],
                int(row["min_followers"]),
                parse_int(row["max_followers_exclusive"]),
            )
            for row in csv.DictReader(text)
        ]


def fan_tier_of(follower_count: int, tiers: FanTiers) -> str:
    for name, low, high in tiers:
        if low <= follower_count and (high is None or follower_count < high):
            return name
    raise ValueError(f"no fan tier for {follower_count} followers")


def streamer_tiers_monthly(
    records: dict[str, list[Record]], tiers: FanTiers
) -> dict[tuple[str, date], str]:
    """(streamer_id, month_start) -> tier, from the streamer's last snapshot of the month (the
    snapshot's month is that of its export date _dt; ties by _file, then _row)."""
    last: dict[tuple[str, date], Record] = {}
    for record in records["streamers"]:
        streamer_id = parse_id(record["streamer_id"])
        assert streamer_id is not None
        key = (streamer_id, month_start(date.fromisoformat(record["_dt"])))
        current = last.get(key)
        if current is None or provenance(record) > provenance(current):
            last[key] = record
    return {
        key: fan_tier_of(required_int(record["follower_count"]), tiers)
        for key, record in last.items()
    }


def _tier(tiers_by_month: dict[tuple[str, date], str], streamer_id: str | None, month: date) -> str:
    if streamer_id is None:
        return "none"
    return tiers_by_month.get((streamer_id, month), "unknown")


def build_gmv_monthly_by_dimension(
    fct_orders: Mart, tiers_by_month: dict[tuple[str, date], str]
) -> Mart:
    """Keyed (month_start, dimension, dimension_value) over counted orders by paid month, with
    the same value's prior-month and prior-year GMV and growth."""
    dimensions = {
        "platform": lambda row, month: "all",
        "shop": lambda row, month: row["shop_id"],
        "streamer": lambda row, month: row["streamer_id"] or "none",
        "category": lambda row, month: row["category"],
        "entry_point": lambda row, month: row["entry_point"],
        "traffic_domain": lambda row, month: row["traffic_domain"],
        "fan_tier": lambda row, month: _tier(tiers_by_month, row["streamer_id"], month),
    }
    result: Mart = {}
    for row in fct_orders.values():
        month = month_start(row["paid_date"])
        for dimension, value_of in dimensions.items():
            key = (month, dimension, value_of(row, month))
            if key not in result:
                result[key] = {
                    "month_start": key[0],
                    "dimension": key[1],
                    "dimension_value": key[2],
                    "gmv": ZERO,
                    "net_gmv": ZERO,
                    "orders": 0,
                    "buyers": set(),
                }
            out = result[key]
            out["gmv"] += row["gmv"]
            out["net_gmv"] += row["net_gmv"]
            out["orders"] += 1
            out["buyers"].add(row["buyer_id"])

    def growth(gmv: Decimal, prior: Decimal | None) -> float | None:
        if prior is None or prior == 0:
            return None
        return float(gmv / prior - 1)

    for (month, dimension, value), out in result.items():
        out["buyers"] = len(out["buyers"])
        prior_month = result.get((months_before(month, 1), dimension, value))
        prior_year = result.get((months_before(month, 12), dimension, value))
        out["prior_month_gmv"] = None if prior_month is None else prior_month["gmv"]
        out["prior_year_gmv"] = None if prior_year is None else prior_year["gmv"]
        out["mom_growth"] = growth(out["gmv"], out["prior_month_gmv"])
        out["yoy_growth"] = growth(out["gmv"], out["prior_year_gmv"])
    return result


def build_fan_tier_monthly(
    fct_orders: Mart, fct_sessions: Mart, tiers_by_month: dict[tuple[str, date], str]
) -> Mart:
    """Keyed (month_start, fan_tier): sessions started and streamer-sold GMV paid in the month,
    each in its streamer's tier of that month, with the month's totals and shares."""
    groups: dict[Key, Record] = {}

    def group(month: date, streamer_id: str) -> Record:
        key = (month, _tier(tiers_by_month, streamer_id, month))
        if key not in groups:
            groups[key] = {
                "month_start": key[0],
                "fan_tier": key[1],
                "streamers": set(),
                "sessions": 0,
                "gmv": ZERO,
            }
        return groups[key]

    for session in fct_sessions.values():
        out = group(month_start(session["session_date"]), session["streamer_id"])
        out["streamers"].add(session["streamer_id"])
        out["sessions"] += 1
    for row in fct_orders.values():
        if row["streamer_id"] is None:
            continue
        out = group(month_start(row["paid_date"]), row["streamer_id"])
        out["streamers"].add(row["streamer_id"])
        out["gmv"] += row["gmv"]

    total_sessions: dict[date, int] = defaultdict(int)
    total_gmv: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for (month, _tier_name), out in groups.items():
        total_sessions[month] += out["sessions"]
        total_gmv[month] += out["gmv"]
    for (month, _tier_name), out in groups.items():
        out["streamers"] = len(out["streamers"])
        out["total_sessions"] = total_sessions[month]
        out["total_gmv"] = total_gmv[month]
        out["session_share"] = ratio(out["sessions"], out["total_sessions"])
        out["gmv_share"] = ratio(out["gmv"], out["total_gmv"])
    return groups

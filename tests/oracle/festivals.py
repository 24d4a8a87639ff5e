"""Shopping festivals: the calendar seed, and each festival's GMV against the days before it."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from .landing import REFERENCE_DIR
from .values import ZERO, Mart, Record, ratio


def read_festivals(path: Path | None = None) -> list[Record]:
    """The shopping-festival calendar seed, with dates parsed (inclusive)."""
    path = path or REFERENCE_DIR / "shopping_festivals.csv"
    with path.open(encoding="utf-8", newline="") as text:
        return [
            dict(
                row,
                start_date=date.fromisoformat(row["start_date"]),
                end_date=date.fromisoformat(row["end_date"]),
            )
            for row in csv.DictReader(text)
        ]


FESTIVAL_BASELINE_DAYS = 30


def build_festival_gmv(gmv_daily: Mart, festivals: Iterable[Record]) -> Mart:
    """Keyed (festival_id,): the festival's GMV against the gmv_daily days among the 30 calendar
    days before it starts. Only festivals with at least one gmv_daily day in range."""
    days = {key[0]: row for key, row in gmv_daily.items()}
    result: Mart = {}
    for festival in festivals:
        start, end = festival["start_date"], festival["end_date"]
        inside = [row for day, row in days.items() if start <= day <= end]
        if not inside:
            continue
        baseline_start = start - timedelta(days=FESTIVAL_BASELINE_DAYS)
        baseline = [row for day, row in days.items() if baseline_start <= day < start]
        festival_days = (end - start).days + 1
        gmv = sum((row["gmv"] for row in inside), ZERO)
        baseline_gmv = sum((row["gmv"] for row in baseline), ZERO)
        baseline_daily = None if not baseline else Decimal(baseline_gmv) / Decimal(len(baseline))
        uplift = (
            None
            if baseline_daily is None or baseline_daily == 0
            else float((gmv / Decimal(festival_days)) / baseline_daily)
        )
        result[(festival["festival_id"],)] = {
            "festival_id": festival["festival_id"],
            "festival_name": festival["festival_name"],
            "start_date": start,
            "end_date": end,
            "festival_days": festival_days,
            "gmv": gmv,
            "orders": sum(row["orders"] for row in inside),
            "festival_daily_gmv": ratio(gmv, festival_days),
            "baseline_days": len(baseline),
            "baseline_gmv": baseline_gmv,
            "baseline_daily_gmv": None if baseline_daily is None else float(baseline_daily),
            "uplift": uplift,
        }
    return result

"""Repurchase: the repeat-purchase rate by period, returning buyers, the private-domain share of
GMV and of repurchases, and cohort retention; each over the platform, a shop and a streamer."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from .orders import scoped
from .values import (
    ZERO,
    Key,
    Mart,
    Record,
    month_end,
    month_start,
    months_before,
    quarter_start,
    ratio,
    year_start,
)


def build_repurchase_rate(fct_orders: Mart) -> Mart:
    """Keyed (period_grain, period_start, scope, scope_id); only periods with buyers."""
    grains = {"month": month_start, "quarter": quarter_start, "year": year_start}
    counts: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for scope, scope_id, row, _seq in scoped(fct_orders):
        for grain, start_of in grains.items():
            key = (grain, start_of(row["paid_date"]), scope, scope_id)
            counts[key][row["buyer_id"]] += 1

    result: Mart = {}
    for key, per_buyer in counts.items():
        buyers = len(per_buyer)
        repeat_buyers = sum(1 for n in per_buyer.values() if n >= 2)
        result[key] = {
            "period_grain": key[0],
            "period_start": key[1],
            "scope": key[2],
            "scope_id": key[3],
            "buyers": buyers,
            "repeat_buyers": repeat_buyers,
            "repeat_purchase_rate": ratio(repeat_buyers, buyers),
        }
    return result


def build_returning_buyers_monthly(fct_orders: Mart) -> Mart:
    """Keyed (month_start, scope, scope_id): buyers in M who bought in the scope in the 12
    calendar months before M."""
    months_of: dict[tuple[str, str, str], set[date]] = defaultdict(set)
    for scope, scope_id, row, _seq in scoped(fct_orders):
        months_of[(scope, scope_id, row["buyer_id"])].add(month_start(row["paid_date"]))

    buyers: dict[Key, set[str]] = defaultdict(set)
    returning: dict[Key, set[str]] = defaultdict(set)
    for (scope, scope_id, buyer_id), months in months_of.items():
        for month in months:
            key = (month, scope, scope_id)
            buyers[key].add(buyer_id)
            window_start = months_before(month, 12)
            if any(window_start <= other < month for other in months):
                returning[key].add(buyer_id)

    result: Mart = {}
    for key, key_buyers in buyers.items():
        n_buyers = len(key_buyers)
        n_returning = len(returning[key])
        result[key] = {
            "month_start": key[0],
            "scope": key[1],
            "scope_id": key[2],
            "buyers": n_buyers,
            "returning_buyers": n_returning,
            "returning_buyer_share": ratio(n_returning, n_buyers),
        }
    return result


def build_private_domain_share_monthly(fct_orders: Mart) -> Mart:
    """Keyed (month_start, scope, scope_id)."""
    result: Mart = {}
    for scope, scope_id, row, seq in scoped(fct_orders):
        key = (month_start(row["paid_date"]), scope, scope_id)
        if key not in result:
            result[key] = {
                "month_start": key[0],
                "scope": scope,
                "scope_id": scope_id,
                "gmv": ZERO,
                "private_gmv": ZERO,
                "orders": 0,
                "private_orders": 0,
                "repurchase_orders": 0,
                "private_repurchase_orders": 0,
            }
        out = result[key]
        private = row["traffic_domain"] == "private"
        out["gmv"] += row["gmv"]
        out["orders"] += 1
        if private:
            out["private_gmv"] += row["gmv"]
            out["private_orders"] += 1
        if seq >= 2:
            out["repurchase_orders"] += 1
            if private:
                out["private_repurchase_orders"] += 1
    for out in result.values():
        out["private_domain_share"] = ratio(out["private_gmv"], out["gmv"])
        out["repurchase_private_share"] = ratio(
            out["private_repurchase_orders"], out["repurchase_orders"]
        )
    return result


RETENTION_WINDOWS = (30, 90, 180)


def build_cohort_retention(fct_orders: Mart) -> Mart:
    """Keyed (cohort_month, scope, scope_id): buyers whose first counted order in the scope was
    paid in cohort_month, and how many placed their 2nd one within N days of the first. Null
    until the window has elapsed: month_end(cohort_month) + N days <= the last paid_date."""
    if not fct_orders:
        return {}
    max_paid_date = max(row["paid_date"] for row in fct_orders.values())
    firsts: dict[tuple[str, str, str], Record] = {}
    seconds: dict[tuple[str, str, str], Record] = {}
    for scope, scope_id, row, seq in scoped(fct_orders):
        if seq == 1:
            firsts[(scope, scope_id, row["buyer_id"])] = row
        elif seq == 2:
            seconds[(scope, scope_id, row["buyer_id"])] = row

    cohorts: dict[Key, list[tuple[Record, Record | None]]] = defaultdict(list)
    for (scope, scope_id, buyer_id), first in firsts.items():
        key = (month_start(first["paid_date"]), scope, scope_id)
        cohorts[key].append((first, seconds.get((scope, scope_id, buyer_id))))

    result: Mart = {}
    for key, buyers in cohorts.items():
        out: Record = {
            "cohort_month": key[0],
            "scope": key[1],
            "scope_id": key[2],
            "cohort_buyers": len(buyers),
        }
        for days in RETENTION_WINDOWS:
            window = timedelta(days=days)
            if month_end(key[0]) + window <= max_paid_date:
                retained = sum(
                    1
                    for first, second in buyers
                    if second is not None and second["paid_at"] - first["paid_at"] <= window
                )
                out[f"retained_{days}d"] = retained
                out[f"retention_{days}d"] = ratio(retained, len(buyers))
            else:
                out[f"retained_{days}d"] = None
                out[f"retention_{days}d"] = None
        result[key] = out
    return result

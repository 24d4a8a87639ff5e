"""Enforcement actions: daily and monthly counts by action type, reason and campaign, and the
GMV of penalised shops and streamers beside the month's GMV."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from .landing import latest_export
from .values import (
    ZERO,
    Key,
    Mart,
    Record,
    month_start,
    parse_id,
    parse_money,
    parse_ts,
    ratio,
    shanghai_date,
)


def _enforcement_by_period(
    records: dict[str, list[Record]], period_column: str, period_of: Any
) -> Mart:
    """Keyed (period, action_type, reason, campaign) with campaign 'none' when null/empty; the
    period is ``period_of(Shanghai day of action_at)``."""
    groups: dict[Key, list[tuple[str, Record]]] = defaultdict(list)
    for action_id, record in latest_export(records["enforcement_actions"], "action_id").items():
        action_at = parse_ts(record["action_at"])
        assert action_at is not None
        campaign = parse_id(record.get("campaign")) or "none"
        key = (
            period_of(shanghai_date(action_at)),
            str(record["action_type"]),
            str(record["reason"]),
            campaign,
        )
        groups[key].append((action_id, record))

    result: Mart = {}
    for key, actions in groups.items():
        result[key] = {
            period_column: key[0],
            "action_type": key[1],
            "reason": key[2],
            "campaign": key[3],
            "actions": len({action_id for action_id, _ in actions}),
            "distinct_targets": len(
                {(str(r["target_type"]), parse_id(r["target_id"])) for _, r in actions}
            ),
            "distinct_gangs": len({parse_id(r.get("gang_id")) for _, r in actions} - {None}),
            # Distinct targets among the actions that carry a gang.
            "gang_accounts": len(
                {
                    (str(r["target_type"]), parse_id(r["target_id"]))
                    for _, r in actions
                    if parse_id(r.get("gang_id")) is not None
                }
            ),
            "distinct_cases": len({parse_id(r.get("case_id")) for _, r in actions} - {None}),
            "amount_involved": sum(
                (parse_money(r.get("amount_involved")) for _, r in actions), ZERO
            ),
        }
    return result


def build_enforcement_daily(records: dict[str, list[Record]]) -> Mart:
    """Keyed (day, action_type, reason, campaign) with campaign 'none' when null/empty."""
    return _enforcement_by_period(records, "day", lambda day: day)


def build_enforcement_monthly(records: dict[str, list[Record]]) -> Mart:
    """Keyed (month_start, action_type, reason, campaign): enforcement_daily over a month."""
    return _enforcement_by_period(records, "month_start", month_start)


def build_enforcement_commerce_monthly(records: dict[str, list[Record]], fct_orders: Mart) -> Mart:
    """Keyed (month_start,): GMV paid in the month, and the GMV of those orders whose shop or
    streamer received a 'penalty' (aimed at that shop / streamer) in the same month."""
    penalised: set[tuple[date, str, str | None]] = set()
    for record in latest_export(records["enforcement_actions"], "action_id").values():
        if record["action_type"] != "penalty":
            continue
        target_type = str(record["target_type"])
        if target_type not in ("shop", "streamer"):
            continue
        action_at = parse_ts(record["action_at"])
        assert action_at is not None
        penalised.add(
            (month_start(shanghai_date(action_at)), target_type, parse_id(record["target_id"]))
        )

    result: Mart = {}
    for row in fct_orders.values():
        month = month_start(row["paid_date"])
        if month not in result:
            result[month] = {"month_start": month, "gmv": ZERO, "penalised_gmv": ZERO}
        out = result[month]
        out["gmv"] += row["gmv"]
        shop_hit = (month, "shop", row["shop_id"]) in penalised
        streamer_hit = (
            row["streamer_id"] is not None and (month, "streamer", row["streamer_id"]) in penalised
        )
        if shop_hit or streamer_hit:  # each order once, even when both were penalised
            out["penalised_gmv"] += row["gmv"]
    for out in result.values():
        out["penalised_gmv_share"] = ratio(out["penalised_gmv"], out["gmv"])
    return {(month,): out for month, out in result.items()}

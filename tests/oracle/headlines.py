"""The headline figures: GMV, and the enforcement results the platform publishes (brushing
interceptions a day, rooms banned for private orders, gangs, police referrals, the Pinocchio
campaign)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from .landing import latest_export, read_landing
from .orders import build_fct_orders
from .values import ZERO, Record, parse_id, parse_money, parse_ts, shanghai_date


def compute_headlines_from_records(records: dict[str, list[Record]]) -> dict[str, Any]:
    """Headline figures computed from landing records (as ``read_landing`` returns them)."""
    fct_orders = build_fct_orders(records)
    gmv = sum((row["gmv"] for row in fct_orders.values()), ZERO)
    refund = sum((row["refund_amount"] for row in fct_orders.values()), ZERO)

    actions = latest_export(records["enforcement_actions"], "action_id").values()
    action_days: set[date] = set()
    brushing = 0
    banned_rooms: set[str | None] = set()
    gangs_cleared: set[str | None] = set()
    accounts_cleared: set[str | None] = set()
    police_referrals = 0
    referral_cases: set[str | None] = set()
    referral_amount = ZERO
    pinocchio_sessions: set[str | None] = set()
    pinocchio_reporters: set[str | None] = set()
    pinocchio_penalties = 0
    for record in actions:
        action_at = parse_ts(record["action_at"])
        assert action_at is not None
        action_days.add(shanghai_date(action_at))
        action_type = record["action_type"]
        if action_type == "brushing_intercept":
            brushing += 1
        if (
            action_type == "room_ban"
            and record["reason"] == "private_order"
            and record["target_type"] == "live_room"
        ):
            banned_rooms.add(parse_id(record["target_id"]))
        if action_type == "account_clearance":
            gangs_cleared.add(parse_id(record.get("gang_id")))
            accounts_cleared.add(parse_id(record["target_id"]))
        if action_type == "police_referral":
            police_referrals += 1
            referral_cases.add(parse_id(record.get("case_id")))
            referral_amount += parse_money(record.get("amount_involved"))
        if parse_id(record.get("campaign")) == "pinocchio":
            pinocchio_sessions.add(parse_id(record.get("session_id")))
            pinocchio_reporters.add(parse_id(record.get("reporter_id")))
            if action_type == "penalty":
                pinocchio_penalties += 1
    return {
        "gmv": gmv,
        "refund_amount": refund,
        "net_gmv": gmv - refund,
        "brushing_interceptions": brushing,
        "enforcement_days": len(action_days),
        "brushing_interceptions_per_day": (brushing / len(action_days) if action_days else None),
        "rooms_banned_private_order": len(banned_rooms),
        "gangs_cleared": len(gangs_cleared - {None}),
        "accounts_cleared": len(accounts_cleared - {None}),
        "police_referrals": police_referrals,
        "referral_cases": len(referral_cases - {None}),
        "referral_amount": referral_amount,
        "pinocchio_sessions": len(pinocchio_sessions - {None}),
        "pinocchio_reporters": len(pinocchio_reporters - {None}),
        "pinocchio_penalties": pinocchio_penalties,
    }


def compute_headlines(landing_dir: Path) -> dict[str, Any]:
    """Headline figures computed from the landing files under ``landing_dir``."""
    return compute_headlines_from_records(read_landing(landing_dir))

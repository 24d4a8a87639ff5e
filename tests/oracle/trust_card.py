"""The trust card: the intervals a shop held each right (dim_shop_trust_rights) and the
repeat-purchase rate around each enablement against control shops (trust_card_impact)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from .landing import latest_export, toggle_intervals
from .values import SHANGHAI, Mart, Record, parse_id, parse_ts, ratio

TRUST_WINDOW = timedelta(days=90)


def build_dim_shop_trust_rights(records: dict[str, list[Record]]) -> Mart:
    """Keyed (shop_id, trust_right, enabled_at): intervals a shop held a right, built like
    follows: events in (event_at, event_id) order, starting disabled; 'enabled' while disabled
    opens, 'disabled' while enabled closes, anything else is ignored."""
    events: dict[tuple[str, str], list[tuple[datetime, str, str]]] = defaultdict(list)
    for event_id, record in latest_export(records["trust_card_events"], "event_id").items():
        shop_id = parse_id(record["shop_id"])
        event_at = parse_ts(record["event_at"])
        assert shop_id is not None and event_at is not None
        pair = (shop_id, str(record["right"]))
        events[pair].append((event_at.astimezone(SHANGHAI), event_id, str(record["event_type"])))

    result: Mart = {}
    for (shop_id, right), pair_events in events.items():
        for enabled_at, disabled_at in toggle_intervals(
            pair_events, opens="enabled", closes="disabled"
        ):
            result[(shop_id, right, enabled_at)] = {
                "shop_id": shop_id,
                "trust_right": right,
                "enabled_at": enabled_at,
                "disabled_at": disabled_at,
            }
    return result


def _window_buyers(
    orders_by_shop: dict[str, list[Record]], shops: Iterable[str], start: datetime, end: datetime
) -> tuple[int, int]:
    """(buyers, repeat buyers) with >= 1 / >= 2 counted orders paid in [start, end), counted per
    shop and summed over ``shops`` (a buyer of two shops counts twice)."""
    buyers = repeat = 0
    for shop_id in shops:
        counts: dict[str, int] = defaultdict(int)
        for row in orders_by_shop.get(shop_id, []):
            if start <= row["paid_at"] < end:
                counts[row["buyer_id"]] += 1
        buyers += len(counts)
        repeat += sum(1 for n in counts.values() if n >= 2)
    return buyers, repeat


def build_trust_card_impact(dim_trust_rights: Mart, fct_orders: Mart) -> Mart:
    """Keyed (shop_id, trust_right, enabled_at): the shop's repeat-purchase rate in the 90 days
    before and after the enablement, beside the same windows pooled over the control shops (shops
    with counted orders that never held that right), and the difference in differences."""
    orders_by_shop: dict[str, list[Record]] = defaultdict(list)
    for row in fct_orders.values():
        orders_by_shop[row["shop_id"]].append(row)
    max_paid_at = max((row["paid_at"] for row in fct_orders.values()), default=None)
    holders: dict[str, set[str]] = defaultdict(set)
    for shop_id, right, _enabled_at in dim_trust_rights:
        holders[right].add(shop_id)

    result: Mart = {}
    for key in dim_trust_rights:
        shop_id, right, enabled_at = key
        control = sorted(set(orders_by_shop) - holders[right])
        windows = {
            "before": (enabled_at - TRUST_WINDOW, enabled_at),
            "after": (enabled_at, enabled_at + TRUST_WINDOW),
        }
        out: Record = {"shop_id": shop_id, "trust_right": right, "enabled_at": enabled_at}
        for name, (start, end) in windows.items():
            buyers, repeat = _window_buyers(orders_by_shop, [shop_id], start, end)
            out[f"{name}_buyers"] = buyers
            out[f"{name}_repeat_buyers"] = repeat
            out[f"{name}_rate"] = ratio(repeat, buyers)
        for name, (start, end) in windows.items():
            buyers, repeat = _window_buyers(orders_by_shop, control, start, end)
            out[f"control_{name}_buyers"] = buyers
            out[f"control_{name}_repeat_buyers"] = repeat
            out[f"control_{name}_rate"] = ratio(repeat, buyers)
        rates = [
            out["after_rate"],
            out["before_rate"],
            out["control_after_rate"],
            out["control_before_rate"],
        ]
        out["diff_in_diff"] = (
            None
            if any(rate is None for rate in rates)
            else (rates[0] - rates[1]) - (rates[2] - rates[3])
        )
        out["after_window_complete"] = (
            max_paid_at is not None and enabled_at + TRUST_WINDOW <= max_paid_at
        )
        result[key] = out
    return result

"""Livestream sessions (fct_livestream_sessions) and the monthly GMV decomposition per streamer:
viewers × watch minutes per viewer × buyers per watch minute × average order value × orders per
buyer = GMV."""

from __future__ import annotations

from collections import defaultdict

from .landing import latest_export
from .values import (
    SHANGHAI,
    ZERO,
    Key,
    Mart,
    Record,
    month_start,
    parse_id,
    parse_ts,
    ratio,
    required_int,
    shanghai_date,
)


def build_fct_livestream_sessions(records: dict[str, list[Record]], fct_orders: Mart) -> Mart:
    """Keyed (session_id,): the session's traffic, and the counted orders placed in it."""
    orders_of: dict[str, list[Record]] = defaultdict(list)
    for row in fct_orders.values():
        if row["session_id"] is not None:
            orders_of[row["session_id"]].append(row)

    result: Mart = {}
    for session_id, record in latest_export(records["livestream_sessions"], "session_id").items():
        started_at = parse_ts(record["started_at"])
        assert started_at is not None
        viewers = required_int(record["viewers"])
        follower_viewers = required_int(record["follower_viewers"])
        orders = orders_of.get(session_id, [])
        result[(session_id,)] = {
            "session_id": session_id,
            "streamer_id": parse_id(record["streamer_id"]),
            "started_at": started_at.astimezone(SHANGHAI),
            "session_date": shanghai_date(started_at),
            "viewers": viewers,
            "follower_viewers": follower_viewers,
            "public_viewers": viewers - follower_viewers,
            "watch_seconds": required_int(record["watch_seconds"]),
            "watch_minutes": required_int(record["watch_seconds"]) / 60,
            "peak_concurrent": required_int(record["peak_concurrent"]),
            "interactions": required_int(record["interactions"]),
            "orders": len(orders),
            "buyers": len({o["buyer_id"] for o in orders}),
            "gmv": sum((o["gmv"] for o in orders), ZERO),
            "private_gmv": sum(
                (o["gmv"] for o in orders if o["traffic_domain"] == "private"), ZERO
            ),
        }
    return result


def _float_ratio(numerator: float | int, denominator: float | int) -> float | None:
    return None if denominator == 0 else numerator / denominator


def build_gmv_decomposition_monthly(fct_sessions: Mart, fct_orders: Mart) -> Mart:
    """Keyed (month_start, streamer_id) over the streamer's sessions started in the month and the
    counted orders placed in them: viewers × watch_minutes_per_viewer × buyers_per_watch_minute
    × avg_order_value × orders_per_buyer = gmv."""
    groups: dict[Key, list[Record]] = defaultdict(list)
    for session in fct_sessions.values():
        groups[(month_start(session["session_date"]), session["streamer_id"])].append(session)
    buyers_of: dict[str, set[str]] = defaultdict(set)
    for row in fct_orders.values():
        if row["session_id"] is not None:
            buyers_of[row["session_id"]].add(row["buyer_id"])

    result: Mart = {}
    for key, sessions in groups.items():
        viewers = sum(s["viewers"] for s in sessions)
        private_viewers = sum(s["follower_viewers"] for s in sessions)
        # Sum whole seconds, then divide once: the float sum of per-session minutes could
        # differ from it in the last bits.
        watch_minutes = sum(s["watch_seconds"] for s in sessions) / 60
        orders = sum(s["orders"] for s in sessions)
        buyers = len(set().union(*(buyers_of[s["session_id"]] for s in sessions)))
        gmv = sum((s["gmv"] for s in sessions), ZERO)
        result[key] = {
            "month_start": key[0],
            "streamer_id": key[1],
            "sessions": len(sessions),
            "viewers": viewers,
            "private_viewers": private_viewers,
            "public_viewers": viewers - private_viewers,
            "watch_minutes": watch_minutes,
            "orders": orders,
            "buyers": buyers,
            "gmv": gmv,
            "watch_minutes_per_viewer": _float_ratio(watch_minutes, viewers),
            "buyers_per_watch_minute": _float_ratio(buyers, watch_minutes),
            "avg_order_value": ratio(gmv, orders),
            "orders_per_buyer": ratio(orders, buyers),
        }
    return result

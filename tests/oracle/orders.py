"""Orders: the latest version of each order, refunds on the day they are recorded, the traffic
domain of a payment (point-in-time follows), fct_orders with its purchase sequences, and
gmv_daily."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .landing import ORDER_CONTRACT_COLUMNS, provenance, toggle_intervals
from .values import (
    SHANGHAI,
    ZERO,
    Mart,
    Record,
    parse_id,
    parse_int,
    parse_money,
    parse_ts,
    shanghai_date,
)

Intervals = dict[tuple[str, str], list[tuple[datetime, datetime | None]]]


def latest_orders(order_records: Iterable[Record]) -> dict[str, Record]:
    """Per order_id the record with max updated_at; ties: later _dt, larger _file, larger _row."""
    latest: dict[str, tuple[tuple[Any, ...], Record]] = {}
    for record in order_records:
        order_id = parse_id(record["order_id"])
        assert order_id is not None
        updated_at = parse_ts(record["updated_at"])
        rank = (updated_at, record["_dt"], record["_file"], record["_row"])
        current = latest.get(order_id)
        if current is None or rank > current[0]:
            latest[order_id] = (rank, record)
    return {order_id: record for order_id, (_, record) in latest.items()}


def _order_version(record: Record) -> tuple[Any, ...]:
    """The contract values of one order export, normalised so that the same version written as
    CSV text, JSON or Parquet compares equal (instants for timestamps, 0.01 money)."""
    parsers = {
        "quantity": parse_int,
        "item_amount": parse_money,
        "discount_amount": parse_money,
        "paid_amount": parse_money,
        "refund_amount": parse_money,
        "created_at": parse_ts,
        "paid_at": parse_ts,
        "updated_at": parse_ts,
    }
    return tuple(
        parsers.get(column, parse_id)(record.get(column)) for column in ORDER_CONTRACT_COLUMNS
    )


def refund_changes(order_records: Iterable[Record]) -> list[tuple[str, date, Decimal]]:
    """(order_id, Shanghai day of updated_at, change in refund_amount) for every distinct version
    of every order, versions ordered as in ``latest_orders``. The first version's change is its
    own refund_amount. Exact duplicates (equal contract values) count once: the copy kept is the
    one ranked last, the same copy ``latest_orders`` would pick, so the changes of an order
    always add up to the refund_amount of its latest version."""
    versions: dict[str, dict[tuple[Any, ...], tuple[tuple[Any, ...], Record]]] = defaultdict(dict)
    for record in order_records:
        order_id = parse_id(record["order_id"])
        assert order_id is not None
        rank = (parse_ts(record["updated_at"]), *provenance(record))
        values = _order_version(record)
        current = versions[order_id].get(values)
        if current is None or rank > current[0]:
            versions[order_id][values] = (rank, record)

    changes: list[tuple[str, date, Decimal]] = []
    for order_id, distinct in versions.items():
        previous = ZERO
        for (updated_at, *_), record in sorted(distinct.values(), key=lambda v: v[0]):
            refund = parse_money(record.get("refund_amount"))
            changes.append((order_id, shanghai_date(updated_at), refund - previous))
            previous = refund
    return changes


def follow_intervals(follow_records: Iterable[Record]) -> Intervals:
    """Per (follower_id, streamer_id) the list of (start, end) following intervals; end may be
    None (still following). Events are applied in (event_at, event_id) order; a follow while
    following and an unfollow while not following are ignored."""
    events: dict[tuple[str, str], list[tuple[datetime, str, str]]] = defaultdict(list)
    for record in follow_records:
        follower_id = parse_id(record["follower_id"])
        streamer_id = parse_id(record["streamer_id"])
        event_at = parse_ts(record["event_at"])
        assert follower_id is not None and streamer_id is not None and event_at is not None
        event_id = parse_id(record["event_id"]) or ""
        events[(follower_id, streamer_id)].append((event_at, event_id, str(record["event_type"])))
    return {
        pair: toggle_intervals(pair_events, opens="follow", closes="unfollow")
        for pair, pair_events in events.items()
    }


def _is_following(
    intervals: Intervals, follower_id: str, streamer_id: str | None, at: datetime
) -> bool:
    if streamer_id is None:
        return False
    for start, end in intervals.get((follower_id, streamer_id), []):
        if start <= at and (end is None or at < end):
            return True
    return False


def build_fct_orders(records: dict[str, list[Record]]) -> Mart:
    """Counted orders (latest version has paid_at), keyed (order_id,)."""
    intervals = follow_intervals(records["follows"])
    rows: dict[str, Record] = {}
    for order_id, record in latest_orders(records["orders"]).items():
        paid_at = parse_ts(record.get("paid_at"))
        if paid_at is None:
            continue
        buyer_id = parse_id(record["buyer_id"])
        assert buyer_id is not None
        streamer_id = parse_id(record.get("streamer_id"))
        gmv = parse_money(record.get("paid_amount"))
        refund = parse_money(record.get("refund_amount"))
        private = _is_following(intervals, buyer_id, streamer_id, paid_at)
        rows[order_id] = {
            "order_id": order_id,
            "buyer_id": buyer_id,
            "shop_id": parse_id(record["shop_id"]),
            "streamer_id": streamer_id,
            "session_id": parse_id(record.get("session_id")),
            "category": record.get("category"),
            "entry_point": record.get("entry_point"),
            "paid_at": paid_at.astimezone(SHANGHAI),
            "paid_date": shanghai_date(paid_at),
            "gmv": gmv,
            "refund_amount": refund,
            "net_gmv": gmv - refund,
            "traffic_domain": "private" if private else "public",
        }

    scopes = {
        "platform_order_seq": lambda row: "all",
        "shop_order_seq": lambda row: row["shop_id"],
        "streamer_order_seq": lambda row: row["streamer_id"],
    }
    for column, scope_of in scopes.items():
        groups: dict[tuple[Any, str], list[Record]] = defaultdict(list)
        for row in rows.values():
            row[column] = None
            scope_id = scope_of(row)
            if scope_id is not None:
                groups[(scope_id, row["buyer_id"])].append(row)
        for group in groups.values():
            group.sort(key=lambda row: (row["paid_at"], row["order_id"]))
            for seq, row in enumerate(group, start=1):
                row[column] = seq

    for row in rows.values():
        row["is_platform_repurchase"] = row["platform_order_seq"] >= 2
        row["is_shop_repurchase"] = row["shop_order_seq"] >= 2
        row["is_streamer_repurchase"] = (
            row["streamer_order_seq"] is not None and row["streamer_order_seq"] >= 2
        )
    return {(order_id,): row for order_id, row in rows.items()}


def scoped(fct_orders: Mart) -> Iterable[tuple[str, str, Record, int]]:
    """(scope, scope_id, order row, seq in that scope) for every counted order and scope."""
    for row in fct_orders.values():
        yield "platform", "all", row, row["platform_order_seq"]
        yield "shop", row["shop_id"], row, row["shop_order_seq"]
        if row["streamer_id"] is not None:
            yield "streamer", row["streamer_id"], row, row["streamer_order_seq"]


def build_gmv_daily(records: dict[str, list[Record]], fct_orders: Mart) -> Mart:
    """Keyed (day,): paid figures of counted orders, placed figures of all latest orders and
    refunds_recorded (changes of the cumulative refund, on the day of the version's updated_at).
    Days: paid days, created days and days with a non-zero refund change."""
    days: dict[date, Record] = {}

    def day_row(day: date) -> Record:
        if day not in days:
            days[day] = {
                "day": day,
                "orders": 0,
                "buyers": set(),
                "gmv": ZERO,
                "refund_amount": ZERO,
                "net_gmv": ZERO,
                "private_gmv": ZERO,
                "public_gmv": ZERO,
                "placed_orders": 0,
                "placed_gmv": ZERO,
                "refunds_recorded": ZERO,
            }
        return days[day]

    for order in fct_orders.values():
        row = day_row(order["paid_date"])
        row["orders"] += 1
        row["buyers"].add(order["buyer_id"])
        row["gmv"] += order["gmv"]
        row["refund_amount"] += order["refund_amount"]
        row["net_gmv"] += order["net_gmv"]
        domain_column = f"{order['traffic_domain']}_gmv"
        row[domain_column] += order["gmv"]

    for record in latest_orders(records["orders"]).values():
        created_at = parse_ts(record["created_at"])
        assert created_at is not None
        row = day_row(shanghai_date(created_at))
        row["placed_orders"] += 1
        row["placed_gmv"] += parse_money(record.get("item_amount")) - parse_money(
            record.get("discount_amount")
        )

    # Refunds on the day they were recorded (a version's updated_at), beside the restated
    # refund_amount of the paid day. A day with only a (non-zero) change still gets a row.
    for _order_id, day, change in refund_changes(records["orders"]):
        if change != 0:
            day_row(day)["refunds_recorded"] += change

    for row in days.values():
        row["buyers"] = len(row["buyers"])
    return {(day,): row for day, row in days.items()}

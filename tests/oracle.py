"""An independent, deliberately simple pure-Python oracle for the warehouse marts.

It reads the landing files directly (see the landing contract) and recomputes the published
figures from the metric definitions, without any SQL, so that an end-to-end test can compare
the dbt marts against it. It assumes the landing files are valid (no rejected rows).

Every mart is returned as ``dict[key_tuple, row_dict]``. Dates are ``datetime.date`` (Asia/Shanghai
calendar days), money is ``Decimal`` quantized to 0.01, rates are ``float`` (or ``None``).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq

SHANGHAI = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")
ZERO = Decimal("0.00")

SOURCES = (
    "orders",
    "follows",
    "livestream_sessions",
    "streamers",
    "trust_card_events",
    "enforcement_actions",
)

Record = dict[str, Any]
Key = tuple[Any, ...]
Mart = dict[Key, Record]


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def _read_csv(text: io.TextIOBase) -> list[Record]:
    return [dict(row) for row in csv.DictReader(text)]


def _read_jsonl(text: io.TextIOBase) -> list[Record]:
    # parse_float=Decimal keeps money exact; blank lines are skipped.
    return [json.loads(line, parse_float=Decimal) for line in text if line.strip()]


def _read_parquet(path: Path) -> list[Record]:
    table = pq.read_table(path)
    # Without pandas, nanosecond timestamps cannot be turned into datetime objects: cast them.
    for index, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type) and field.type.unit == "ns":
            target = pa.timestamp("us", tz=field.type.tz)
            table = table.set_column(
                index, field.name, table.column(index).cast(target, safe=False)
            )
    return table.to_pylist()


def read_file(path: Path) -> list[Record] | None:
    """Records of one landing file, or None when the extension is not a landing format."""
    name = path.name
    if name.endswith(".parquet"):
        return _read_parquet(path)
    if name.endswith(".csv"):
        with path.open(encoding="utf-8-sig", newline="") as text:
            return _read_csv(text)
    if name.endswith(".csv.gz"):
        with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as text:
            return _read_csv(text)
    if name.endswith(".jsonl"):
        with path.open(encoding="utf-8") as text:
            return _read_jsonl(text)
    if name.endswith(".jsonl.gz"):
        with gzip.open(path, "rt", encoding="utf-8") as text:
            return _read_jsonl(text)
    return None


def read_landing(landing_dir: Path) -> dict[str, list[Record]]:
    """All records of the six sources, each with ``_dt``, ``_file`` and ``_row`` (1-based)."""
    result: dict[str, list[Record]] = {source: [] for source in SOURCES}
    for source in SOURCES:
        source_dir = Path(landing_dir) / source
        if not source_dir.is_dir():
            continue
        for partition in sorted(source_dir.iterdir()):
            if not partition.is_dir() or not partition.name.startswith("dt="):
                continue
            dt = partition.name.removeprefix("dt=")
            for path in sorted(partition.iterdir()):
                if not path.is_file():
                    continue
                records = read_file(path)
                if records is None:
                    continue
                for row_number, record in enumerate(records, start=1):
                    record["_dt"] = dt
                    record["_file"] = path.name
                    record["_row"] = row_number
                    result[source].append(record)
    return result


# --------------------------------------------------------------------------------------------
# Value parsing
# --------------------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def parse_id(value: Any) -> str | None:
    """Ids are opaque strings; None and empty strings are null."""
    return None if _blank(value) else str(value)


def parse_ts(value: Any) -> datetime | None:
    """An aware datetime; values without an offset are Asia/Shanghai time."""
    if _blank(value):
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        parsed = datetime.fromisoformat(str(value).strip())
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=SHANGHAI)
    return parsed


def parse_money(value: Any) -> Decimal:
    """Decimal CNY quantized to 0.01; null is 0.00."""
    if _blank(value):
        return ZERO
    return Decimal(str(value).strip()).quantize(CENT)


def shanghai_date(value: datetime) -> date:
    return value.astimezone(SHANGHAI).date()


def month_start(day: date) -> date:
    return date(day.year, day.month, 1)


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def year_start(day: date) -> date:
    return date(day.year, 1, 1)


def months_before(month: date, months: int) -> date:
    """The first day of the month ``months`` calendar months before ``month``."""
    index = month.year * 12 + (month.month - 1) - months
    return date(index // 12, index % 12 + 1, 1)


def _ratio(numerator: Decimal | int, denominator: Decimal | int) -> float | None:
    if denominator == 0:
        return None
    return float(Decimal(numerator) / Decimal(denominator))


# --------------------------------------------------------------------------------------------
# Orders
# --------------------------------------------------------------------------------------------


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


def follow_intervals(
    follow_records: Iterable[Record],
) -> dict[tuple[str, str], list[tuple[datetime, datetime | None]]]:
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

    intervals: dict[tuple[str, str], list[tuple[datetime, datetime | None]]] = {}
    for pair, pair_events in events.items():
        pair_intervals: list[tuple[datetime, datetime | None]] = []
        start: datetime | None = None
        for event_at, _event_id, event_type in sorted(pair_events, key=lambda e: (e[0], e[1])):
            if event_type == "follow" and start is None:
                start = event_at
            elif event_type == "unfollow" and start is not None:
                pair_intervals.append((start, event_at))
                start = None
        if start is not None:
            pair_intervals.append((start, None))
        intervals[pair] = pair_intervals
    return intervals


def _is_following(
    intervals: dict[tuple[str, str], list[tuple[datetime, datetime | None]]],
    follower_id: str,
    streamer_id: str | None,
    at: datetime,
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


def _scoped(fct_orders: Mart) -> Iterable[tuple[str, str, Record, int]]:
    """(scope, scope_id, order row, seq in that scope) for every counted order and scope."""
    for row in fct_orders.values():
        yield "platform", "all", row, row["platform_order_seq"]
        yield "shop", row["shop_id"], row, row["shop_order_seq"]
        if row["streamer_id"] is not None:
            yield "streamer", row["streamer_id"], row, row["streamer_order_seq"]


# --------------------------------------------------------------------------------------------
# Marts
# --------------------------------------------------------------------------------------------


def build_gmv_daily(records: dict[str, list[Record]], fct_orders: Mart) -> Mart:
    """Keyed (day,): paid figures of counted orders and placed figures of all latest orders."""
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

    for row in days.values():
        row["buyers"] = len(row["buyers"])
    return {(day,): row for day, row in days.items()}


def build_repurchase_rate(fct_orders: Mart) -> Mart:
    """Keyed (period_grain, period_start, scope, scope_id); only periods with buyers."""
    grains = {"month": month_start, "quarter": quarter_start, "year": year_start}
    counts: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for scope, scope_id, row, _seq in _scoped(fct_orders):
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
            "repeat_purchase_rate": _ratio(repeat_buyers, buyers),
        }
    return result


def build_returning_buyers_monthly(fct_orders: Mart) -> Mart:
    """Keyed (month_start, scope, scope_id): buyers in M who bought in the scope in the 12
    calendar months before M."""
    months_of: dict[tuple[str, str, str], set[date]] = defaultdict(set)
    for scope, scope_id, row, _seq in _scoped(fct_orders):
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
            "returning_buyer_share": _ratio(n_returning, n_buyers),
        }
    return result


def build_private_domain_share_monthly(fct_orders: Mart) -> Mart:
    """Keyed (month_start, scope, scope_id)."""
    result: Mart = {}
    for scope, scope_id, row, seq in _scoped(fct_orders):
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
        out["private_domain_share"] = _ratio(out["private_gmv"], out["gmv"])
        out["repurchase_private_share"] = _ratio(
            out["private_repurchase_orders"], out["repurchase_orders"]
        )
    return result


def latest_enforcement_actions(action_records: Iterable[Record]) -> dict[str, Record]:
    """Per action_id the record from the latest _dt (then larger _file, larger _row)."""
    latest: dict[str, Record] = {}
    for record in action_records:
        action_id = parse_id(record["action_id"])
        assert action_id is not None
        rank = (record["_dt"], record["_file"], record["_row"])
        current = latest.get(action_id)
        if current is None or rank > (current["_dt"], current["_file"], current["_row"]):
            latest[action_id] = record
    return latest


def build_enforcement_daily(records: dict[str, list[Record]]) -> Mart:
    """Keyed (day, action_type, reason, campaign) with campaign 'none' when null/empty."""
    groups: dict[Key, list[tuple[str, Record]]] = defaultdict(list)
    for action_id, record in latest_enforcement_actions(records["enforcement_actions"]).items():
        action_at = parse_ts(record["action_at"])
        assert action_at is not None
        campaign = parse_id(record.get("campaign")) or "none"
        key = (
            shanghai_date(action_at),
            str(record["action_type"]),
            str(record["reason"]),
            campaign,
        )
        groups[key].append((action_id, record))

    result: Mart = {}
    for key, actions in groups.items():
        result[key] = {
            "day": key[0],
            "action_type": key[1],
            "reason": key[2],
            "campaign": key[3],
            "actions": len({action_id for action_id, _ in actions}),
            "distinct_targets": len(
                {(str(r["target_type"]), parse_id(r["target_id"])) for _, r in actions}
            ),
            "distinct_gangs": len({parse_id(r.get("gang_id")) for _, r in actions} - {None}),
            "distinct_cases": len({parse_id(r.get("case_id")) for _, r in actions} - {None}),
            "amount_involved": sum(
                (parse_money(r.get("amount_involved")) for _, r in actions), ZERO
            ),
        }
    return result


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


def compute_marts_from_records(records: dict[str, list[Record]]) -> dict[str, Mart]:
    fct_orders = build_fct_orders(records)
    return {
        "fct_orders": fct_orders,
        "gmv_daily": build_gmv_daily(records, fct_orders),
        "repurchase_rate": build_repurchase_rate(fct_orders),
        "returning_buyers_monthly": build_returning_buyers_monthly(fct_orders),
        "private_domain_share_monthly": build_private_domain_share_monthly(fct_orders),
        "enforcement_daily": build_enforcement_daily(records),
    }


def compute_marts(landing_dir: Path) -> dict[str, Mart]:
    """All oracle marts computed from the landing files under ``landing_dir``."""
    return compute_marts_from_records(read_landing(landing_dir))


def compute_headlines_from_records(records: dict[str, list[Record]]) -> dict[str, Any]:
    fct_orders = build_fct_orders(records)
    gmv = sum((row["gmv"] for row in fct_orders.values()), ZERO)
    refund = sum((row["refund_amount"] for row in fct_orders.values()), ZERO)

    actions = latest_enforcement_actions(records["enforcement_actions"]).values()
    action_days: set[date] = set()
    brushing = 0
    banned_rooms: set[str | None] = set()
    for record in actions:
        action_at = parse_ts(record["action_at"])
        assert action_at is not None
        action_days.add(shanghai_date(action_at))
        if record["action_type"] == "brushing_intercept":
            brushing += 1
        if record["action_type"] == "room_ban" and record["reason"] == "private_order":
            banned_rooms.add(parse_id(record["target_id"]))
    return {
        "gmv": gmv,
        "refund_amount": refund,
        "net_gmv": gmv - refund,
        "brushing_interceptions": brushing,
        "enforcement_days": len(action_days),
        "brushing_interceptions_per_day": (brushing / len(action_days) if action_days else None),
        "rooms_banned_private_order": len(banned_rooms),
    }


def compute_headlines(landing_dir: Path) -> dict[str, Any]:
    """Headline figures computed from the landing files under ``landing_dir``."""
    return compute_headlines_from_records(read_landing(landing_dir))

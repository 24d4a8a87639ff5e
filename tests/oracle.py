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
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq

SHANGHAI = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")
ZERO = Decimal("0.00")

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "seeds" / "reference"

# The order columns of the landing contract (without the optional personal-data columns, which
# never leave raw): two exports of an order that agree on all of them are the same version.
ORDER_CONTRACT_COLUMNS = (
    "order_id",
    "buyer_id",
    "shop_id",
    "streamer_id",
    "session_id",
    "product_id",
    "category",
    "quantity",
    "item_amount",
    "discount_amount",
    "paid_amount",
    "refund_amount",
    "status",
    "entry_point",
    "created_at",
    "paid_at",
    "updated_at",
)

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


def parse_int(value: Any) -> int | None:
    """Integers may arrive as text (CSV), int (JSON/Parquet); null is None."""
    if _blank(value):
        return None
    return int(str(value).strip())


def _required_int(value: Any) -> int:
    parsed = parse_int(value)
    assert parsed is not None
    return parsed


def _provenance(record: Record) -> tuple[str, str, int]:
    return (record["_dt"], record["_file"], record["_row"])


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


def month_end(month: date) -> date:
    """The last day of the month that starts on ``month``."""
    return months_before(month, -1) - timedelta(days=1)


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
        rank = (parse_ts(record["updated_at"]), *_provenance(record))
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


# --------------------------------------------------------------------------------------------
# Cohort retention
# --------------------------------------------------------------------------------------------

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
    for scope, scope_id, row, seq in _scoped(fct_orders):
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
                out[f"retention_{days}d"] = _ratio(retained, len(buyers))
            else:
                out[f"retained_{days}d"] = None
                out[f"retention_{days}d"] = None
        result[key] = out
    return result


# --------------------------------------------------------------------------------------------
# Livestream sessions and the GMV identity
# --------------------------------------------------------------------------------------------


def latest_sessions(session_records: Iterable[Record]) -> dict[str, Record]:
    """Per session_id the record from the latest export (_dt, then _file, then _row)."""
    latest: dict[str, Record] = {}
    for record in session_records:
        session_id = parse_id(record["session_id"])
        assert session_id is not None
        current = latest.get(session_id)
        if current is None or _provenance(record) > _provenance(current):
            latest[session_id] = record
    return latest


def build_fct_livestream_sessions(records: dict[str, list[Record]], fct_orders: Mart) -> Mart:
    """Keyed (session_id,): the session's traffic, and the counted orders placed in it."""
    orders_of: dict[str, list[Record]] = defaultdict(list)
    for row in fct_orders.values():
        if row["session_id"] is not None:
            orders_of[row["session_id"]].append(row)

    result: Mart = {}
    for session_id, record in latest_sessions(records["livestream_sessions"]).items():
        started_at = parse_ts(record["started_at"])
        assert started_at is not None
        viewers = _required_int(record["viewers"])
        follower_viewers = _required_int(record["follower_viewers"])
        orders = orders_of.get(session_id, [])
        result[(session_id,)] = {
            "session_id": session_id,
            "streamer_id": parse_id(record["streamer_id"]),
            "started_at": started_at.astimezone(SHANGHAI),
            "session_date": shanghai_date(started_at),
            "viewers": viewers,
            "follower_viewers": follower_viewers,
            "public_viewers": viewers - follower_viewers,
            "watch_seconds": _required_int(record["watch_seconds"]),
            "watch_minutes": _required_int(record["watch_seconds"]) / 60,
            "peak_concurrent": _required_int(record["peak_concurrent"]),
            "interactions": _required_int(record["interactions"]),
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
            "avg_order_value": _ratio(gmv, orders),
            "orders_per_buyer": _ratio(orders, buyers),
        }
    return result


# --------------------------------------------------------------------------------------------
# Fan tiers, GMV slices and festivals
# --------------------------------------------------------------------------------------------

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
        if current is None or _provenance(record) > _provenance(current):
            last[key] = record
    return {
        key: fan_tier_of(_required_int(record["follower_count"]), tiers)
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
        out["session_share"] = _ratio(out["sessions"], out["total_sessions"])
        out["gmv_share"] = _ratio(out["gmv"], out["total_gmv"])
    return groups


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
            "festival_daily_gmv": _ratio(gmv, festival_days),
            "baseline_days": len(baseline),
            "baseline_gmv": baseline_gmv,
            "baseline_daily_gmv": None if baseline_daily is None else float(baseline_daily),
            "uplift": uplift,
        }
    return result


# --------------------------------------------------------------------------------------------
# Trust card
# --------------------------------------------------------------------------------------------

TRUST_WINDOW = timedelta(days=90)


def latest_trust_card_events(event_records: Iterable[Record]) -> dict[str, Record]:
    """Per event_id the record from the latest _dt (then larger _file, larger _row)."""
    latest: dict[str, Record] = {}
    for record in event_records:
        event_id = parse_id(record["event_id"])
        assert event_id is not None
        current = latest.get(event_id)
        if current is None or _provenance(record) > _provenance(current):
            latest[event_id] = record
    return latest


def build_dim_shop_trust_rights(records: dict[str, list[Record]]) -> Mart:
    """Keyed (shop_id, trust_right, enabled_at): intervals a shop held a right, built like
    follows: events in (event_at, event_id) order, starting disabled; 'enabled' while disabled
    opens, 'disabled' while enabled closes, anything else is ignored."""
    events: dict[tuple[str, str], list[tuple[datetime, str, str]]] = defaultdict(list)
    for event_id, record in latest_trust_card_events(records["trust_card_events"]).items():
        shop_id = parse_id(record["shop_id"])
        event_at = parse_ts(record["event_at"])
        assert shop_id is not None and event_at is not None
        pair = (shop_id, str(record["right"]))
        events[pair].append((event_at.astimezone(SHANGHAI), event_id, str(record["event_type"])))

    result: Mart = {}
    for (shop_id, right), pair_events in events.items():
        intervals: list[tuple[datetime, datetime | None]] = []
        start: datetime | None = None
        for event_at, _event_id, event_type in sorted(pair_events, key=lambda e: (e[0], e[1])):
            if event_type == "enabled" and start is None:
                start = event_at
            elif event_type == "disabled" and start is not None:
                intervals.append((start, event_at))
                start = None
        if start is not None:
            intervals.append((start, None))
        for enabled_at, disabled_at in intervals:
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
            out[f"{name}_rate"] = _ratio(repeat, buyers)
        for name, (start, end) in windows.items():
            buyers, repeat = _window_buyers(orders_by_shop, control, start, end)
            out[f"control_{name}_buyers"] = buyers
            out[f"control_{name}_repeat_buyers"] = repeat
            out[f"control_{name}_rate"] = _ratio(repeat, buyers)
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


# --------------------------------------------------------------------------------------------
# Enforcement
# --------------------------------------------------------------------------------------------


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


def _enforcement_by_period(
    records: dict[str, list[Record]], period_column: str, period_of: Any
) -> Mart:
    """Keyed (period, action_type, reason, campaign) with campaign 'none' when null/empty; the
    period is ``period_of(Shanghai day of action_at)``."""
    groups: dict[Key, list[tuple[str, Record]]] = defaultdict(list)
    for action_id, record in latest_enforcement_actions(records["enforcement_actions"]).items():
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
    for record in latest_enforcement_actions(records["enforcement_actions"]).values():
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
        out["penalised_gmv_share"] = _ratio(out["penalised_gmv"], out["gmv"])
    return {(month,): out for month, out in result.items()}


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


def compute_marts_from_records(
    records: dict[str, list[Record]],
    fan_tiers: FanTiers | None = None,
    festivals: Iterable[Record] | None = None,
) -> dict[str, Mart]:
    """All oracle marts. The reference seeds (fan tiers, festival calendar) are read from
    seeds/reference unless given."""
    fct_orders = build_fct_orders(records)
    gmv_daily = build_gmv_daily(records, fct_orders)
    fct_sessions = build_fct_livestream_sessions(records, fct_orders)
    tiers_by_month = streamer_tiers_monthly(
        records, read_fan_tiers() if fan_tiers is None else fan_tiers
    )
    dim_trust_rights = build_dim_shop_trust_rights(records)
    return {
        "fct_orders": fct_orders,
        "gmv_daily": gmv_daily,
        "repurchase_rate": build_repurchase_rate(fct_orders),
        "returning_buyers_monthly": build_returning_buyers_monthly(fct_orders),
        "private_domain_share_monthly": build_private_domain_share_monthly(fct_orders),
        "enforcement_daily": build_enforcement_daily(records),
        "fct_livestream_sessions": fct_sessions,
        "gmv_decomposition_monthly": build_gmv_decomposition_monthly(fct_sessions, fct_orders),
        "gmv_monthly_by_dimension": build_gmv_monthly_by_dimension(fct_orders, tiers_by_month),
        "festival_gmv": build_festival_gmv(
            gmv_daily, read_festivals() if festivals is None else festivals
        ),
        "fan_tier_monthly": build_fan_tier_monthly(fct_orders, fct_sessions, tiers_by_month),
        "cohort_retention": build_cohort_retention(fct_orders),
        "dim_shop_trust_rights": dim_trust_rights,
        "trust_card_impact": build_trust_card_impact(dim_trust_rights, fct_orders),
        "enforcement_monthly": build_enforcement_monthly(records),
        "enforcement_commerce_monthly": build_enforcement_commerce_monthly(records, fct_orders),
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

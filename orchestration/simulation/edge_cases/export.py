"""Records to landing files: which export date each record lands on, in which format."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import TypeVar

from orchestration.simulation.edge_cases.commerce import FollowEvent, Version
from orchestration.simulation.edge_cases.enforcement import Action
from orchestration.simulation.edge_cases.sessions import Session
from orchestration.simulation.edge_cases.trust_card import TrustEvent
from orchestration.simulation.edge_cases.world import Streamer
from orchestration.simulation.vocabulary import arrow_schema, columns
from orchestration.simulation.writer import RowsFile, money_text

BEIJING = timezone(timedelta(hours=8))
ORDERS_SCHEMA = arrow_schema("orders")
T = TypeVar("T")


def iso(ts: datetime) -> str:
    return ts.isoformat(timespec="seconds") + "+08:00"


def decimal(cents: int | None) -> Decimal | None:
    return None if cents is None else Decimal(money_text(cents))


def aware(ts: datetime | None) -> datetime | None:
    return None if ts is None else ts.replace(tzinfo=BEIJING)


def order_parquet_row(v: Version) -> tuple[object, ...]:
    o = v.order
    return (
        o.order_id,
        o.buyer.buyer_id,
        o.shop_id,
        o.streamer.streamer_id if o.streamer else None,
        o.session_id,
        o.product.product_id,
        o.product.category,
        o.quantity,
        decimal(o.item_cents),
        decimal(o.discount_cents),
        decimal(v.paid_cents),
        decimal(v.refund_cents),
        v.status,
        o.entry_point,
        aware(o.created_at),
        aware(v.paid_at),
        aware(v.updated_at),
        o.buyer.phone,
        o.buyer.address,
    )


def order_text_row(v: Version) -> list[str]:
    o = v.order
    return [
        o.order_id,
        o.buyer.buyer_id,
        o.shop_id,
        o.streamer.streamer_id if o.streamer else "",
        o.session_id or "",
        o.product.product_id,
        o.product.category,
        str(o.quantity),
        money_text(o.item_cents),
        money_text(o.discount_cents),
        money_text(v.paid_cents),
        money_text(v.refund_cents),
        v.status,
        o.entry_point,
        iso(o.created_at),
        iso(v.paid_at) if v.paid_at else "",
        iso(v.updated_at),
        o.buyer.phone,
        o.buyer.address,
    ]


def action_text_row(action_id: str, a: Action) -> list[str]:
    return [
        action_id,
        iso(a.at),
        a.action_type,
        a.reason,
        a.target_type,
        a.target_id,
        a.session_id or "",
        a.campaign or "",
        a.gang_id or "",
        a.case_id or "",
        a.reporter_id or "",
        money_text(a.amount_cents),
    ]


def follow_row(event_id: str, e: FollowEvent) -> list[str]:
    at = e.at.isoformat(sep=" ", timespec="seconds") if e.naive else iso(e.at)
    return [event_id, e.follower_id, e.streamer_id, e.event_type, at]


def session_row(s: Session) -> list[str]:
    return [
        s.session_id,
        s.streamer.streamer_id,
        iso(s.started_at),
        iso(s.ended_at),
        str(s.viewers),
        str(s.follower_viewers),
        str(s.watch_seconds),
        str(s.peak_concurrent),
        str(s.interactions),
    ]


def render_files(
    start: date,
    days: int,
    versions: list[Version],
    follows: list[FollowEvent],
    sessions: list[Session],
    snapshots: list[list[tuple[Streamer, int]]],
    trust: list[TrustEvent],
    actions: list[Action],
) -> dict[tuple[str, int], list[RowsFile]]:
    """Group records by (source, export-day index); records dated before start go to day 0.

    Each source has its own file format, so that one run exercises all of them; orders
    alternate between a Parquet and a CSV file of the same partition.
    """
    files: dict[tuple[str, int], list[RowsFile]] = defaultdict(list)

    def by_day(dated: Iterable[tuple[datetime, T]]) -> dict[int, list[T]]:
        """Items keyed by the export-day index of their time; those after the range dropped."""
        out: dict[int, list[T]] = defaultdict(list)
        for at, item in dated:
            i = max(0, (at.date() - start).days)
            if i < days:
                out[i].append(item)
        return out

    def add(source: str, name: str, rows_by_day: dict[int, list[list[str]]]) -> None:
        for i, rows in rows_by_day.items():
            files[(source, i)].append(RowsFile(name, columns(source), rows))

    for i, rows in sorted(by_day((v.updated_at, v) for v in versions).items()):
        rows.sort(key=lambda v: (v.updated_at, v.order.order_id))
        in_parquet, in_csv = rows[0::2], rows[1::2]
        parquet = [order_parquet_row(v) for v in in_parquet]
        files[("orders", i)].append(
            RowsFile("part-0.parquet", columns("orders"), parquet, ORDERS_SCHEMA)
        )
        if in_csv:
            text = [order_text_row(v) for v in in_csv]
            files[("orders", i)].append(RowsFile("part-1.csv", columns("orders"), text))

    ordered = sorted(follows, key=lambda e: e.at)  # stable: ties keep generation order
    follow_rows = ((e.at, follow_row(f"f{n:08d}", e)) for n, e in enumerate(ordered, 1))
    add("follows", "follows.jsonl", by_day(follow_rows))
    add(
        "livestream_sessions",
        "sessions.csv",
        by_day((s.ended_at, session_row(s)) for s in sessions),
    )
    snapshot_rows = {
        i: [
            [st.streamer_id, st.shop_id or "", st.category, str(count), iso(st.created_at)]
            for st, count in snapshot
        ]
        for i, snapshot in enumerate(snapshots)
    }
    add("streamers", "streamers.csv.gz", snapshot_rows)
    trust_rows = (
        (t.at, [f"tc{n:06d}", t.shop_id, t.right, t.event_type, iso(t.at)])
        for n, t in enumerate(trust, 1)
    )
    add("trust_card_events", "events.jsonl.gz", by_day(trust_rows))
    action_rows = ((a.at, action_text_row(f"act{n:08d}", a)) for n, a in enumerate(actions, 1))
    add("enforcement_actions", "actions.csv", by_day(action_rows))
    return files

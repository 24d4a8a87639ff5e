"""Records to landing files: which export date each record lands on, in which format."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from orchestration.simulation.edge_cases.commerce import FollowEvent, Version
from orchestration.simulation.edge_cases.enforcement import Action
from orchestration.simulation.edge_cases.sessions import Session
from orchestration.simulation.edge_cases.trust_card import TrustEvent
from orchestration.simulation.edge_cases.world import Streamer
from orchestration.simulation.vocabulary import arrow_schema, columns
from orchestration.simulation.writer import RowsFile, money_text

BEIJING = timezone(timedelta(hours=8))


ORDERS_SCHEMA = arrow_schema("orders")


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
    """Group records by (source, export-day index); records dated before start go to day 0."""

    def day_of(ts: datetime) -> int | None:
        i = max(0, (ts.date() - start).days)
        return i if i < days else None

    files: dict[tuple[str, int], list[RowsFile]] = defaultdict(list)

    order_days: dict[int, list[Version]] = defaultdict(list)
    for v in versions:
        i = day_of(v.updated_at)
        if i is not None:
            order_days[i].append(v)
    for i, rows in sorted(order_days.items()):
        rows.sort(key=lambda v: (v.updated_at, v.order.order_id))
        in_parquet, in_csv = rows[0::2], rows[1::2]
        parquet = [order_parquet_row(v) for v in in_parquet]
        files[("orders", i)].append(
            RowsFile("part-0.parquet", columns("orders"), parquet, ORDERS_SCHEMA)
        )
        if in_csv:
            text = [order_text_row(v) for v in in_csv]
            files[("orders", i)].append(RowsFile("part-1.csv", columns("orders"), text))

    follow_days: dict[int, list[list[str]]] = defaultdict(list)
    ordered = sorted(follows, key=lambda e: e.at)  # stable: ties keep generation order
    for n, e in enumerate(ordered, 1):
        i = day_of(e.at)
        if i is not None:
            at = e.at.isoformat(sep=" ", timespec="seconds") if e.naive else iso(e.at)
            follow_days[i].append([f"f{n:08d}", e.follower_id, e.streamer_id, e.event_type, at])
    for i, rows in follow_days.items():
        files[("follows", i)].append(RowsFile("follows.jsonl", columns("follows"), rows))

    session_days: dict[int, list[list[str]]] = defaultdict(list)
    for s in sessions:
        i = day_of(s.ended_at)
        if i is not None:
            session_days[i].append(
                [
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
            )
    for i, rows in session_days.items():
        file = RowsFile("sessions.csv", columns("livestream_sessions"), rows)
        files[("livestream_sessions", i)].append(file)

    for i, snapshot in enumerate(snapshots):
        rows = [
            [st.streamer_id, st.shop_id or "", st.category, str(count), iso(st.created_at)]
            for st, count in snapshot
        ]
        files[("streamers", i)].append(RowsFile("streamers.csv.gz", columns("streamers"), rows))

    trust_days: dict[int, list[list[str]]] = defaultdict(list)
    for n, t in enumerate(trust, 1):
        i = day_of(t.at)
        if i is not None:
            trust_days[i].append([f"tc{n:06d}", t.shop_id, t.right, t.event_type, iso(t.at)])
    for i, rows in trust_days.items():
        file = RowsFile("events.jsonl.gz", columns("trust_card_events"), rows)
        files[("trust_card_events", i)].append(file)

    action_days: dict[int, list[list[str]]] = defaultdict(list)
    for n, a in enumerate(actions, 1):
        i = day_of(a.at)
        if i is not None:
            action_days[i].append(action_text_row(f"act{n:08d}", a))
    for i, rows in action_days.items():
        file = RowsFile("actions.csv", columns("enforcement_actions"), rows)
        files[("enforcement_actions", i)].append(file)
    return files

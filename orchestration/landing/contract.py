"""The landing-zone contract (../shared/LANDING.md) as data.

One place describes every source: its columns, their kinds and the row rules. Ingestion turns
this description into DuckDB SQL; the docs' rejection-reason table is generated from it too.
Extending the contract means adding optional columns or sources here, never changing a rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnKind = Literal["id", "string", "integer", "money", "timestamp", "enum"]

# Raw-table type of each column kind. Money is never binary floating point in the warehouse.
SQL_TYPES: dict[ColumnKind, str] = {
    "id": "VARCHAR",
    "string": "VARCHAR",
    "integer": "BIGINT",
    "money": "DECIMAL(18,2)",
    "timestamp": "TIMESTAMPTZ",
    "enum": "VARCHAR",
}

REPORTING_TIME_ZONE = "Asia/Shanghai"

# Upper bounds on amounts, in yuan, chosen so that sums of valid amounts fit the marts'
# DECIMAL(18,2) (less than 10^16): fewer than 10^9 order amounts at the bound, or 10^6 amounts
# involved in enforcement actions, can never overflow. A single live-commerce order above ten
# million yuan is a producer error (a unit mix-up, a placeholder), not a sale.
MAX_ORDER_AMOUNT = 10_000_000
MAX_AMOUNT_INVOLVED = 10_000_000_000

# The business-time window: a timestamp lies between `history_days` before the export date and
# the end of the day after it (a producer whose day ends in UTC, or a clock slightly ahead). An
# order version or a session is exported within days of its events; a year leaves room for late
# refunds and re-exports. Follows and trust-card rights build state, so a first export may carry
# years of history.
EVENT_HISTORY_DAYS = 366
STATE_HISTORY_DAYS = 3653
FUTURE_DAYS = 1


@dataclass(frozen=True)
class Column:
    name: str
    kind: ColumnKind
    required: bool = True
    values: tuple[str, ...] = ()  # allowed values of an enum
    minimum: int | None = None  # inclusive lower bound of an integer or money column
    default: str | None = None  # SQL literal used when an optional value is absent
    maximum: int | None = None  # inclusive upper bound of a money column, in yuan
    # A timestamp's window: at most this many days before the export date (None: no lower bound
    # but the absolute one).
    history_days: int | None = EVENT_HISTORY_DAYS
    personal: bool = False  # personal data: never kept in clear outside raw.<source>


@dataclass(frozen=True)
class RowRule:
    """A rule across columns, written as SQL over the typed columns; true means the row is fine."""

    code: str
    sql: str
    message: str


@dataclass(frozen=True)
class Source:
    name: str
    columns: tuple[Column, ...]
    rules: tuple[RowRule, ...] = field(default=())

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def personal_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.personal)


ORDER_STATUSES = ("created", "paid", "shipped", "delivered", "completed", "cancelled", "refunded")
ENTRY_POINTS = (
    "follow_feed",
    "discovery_feed",
    "search",
    "short_video",
    "shop_page",
    "fan_group",
    "other",
)
TRUST_CARD_RIGHTS = (
    "refund_without_return",
    "return_shipping_comp",
    "fake_one_pay_ten",
    "seven_day_return",
    "fast_refund",
    "fast_shipping",
)
ACTION_TYPES = (
    "brushing_intercept",
    "user_report",
    "warning",
    "penalty",
    "room_ban",
    "account_clearance",
    "police_referral",
)
ACTION_REASONS = (
    "order_brushing",
    "private_order",
    "false_advertising",
    "counterfeit",
    "gang_fraud",
    "other",
)
TARGET_TYPES = ("order", "account", "shop", "streamer", "live_room")

SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        Source(
            "orders",
            (
                Column("order_id", "id"),
                Column("buyer_id", "id"),
                Column("shop_id", "id"),
                Column("streamer_id", "id", required=False),
                Column("session_id", "id", required=False),
                Column("product_id", "id"),
                Column("category", "string"),
                Column("quantity", "integer", minimum=1),
                Column("item_amount", "money", minimum=0, maximum=MAX_ORDER_AMOUNT),
                Column("discount_amount", "money", minimum=0, maximum=MAX_ORDER_AMOUNT),
                Column("paid_amount", "money", required=False, minimum=0, maximum=MAX_ORDER_AMOUNT),
                Column(
                    "refund_amount",
                    "money",
                    required=False,
                    minimum=0,
                    default="0",
                    maximum=MAX_ORDER_AMOUNT,
                ),
                Column("status", "enum", values=ORDER_STATUSES),
                Column("entry_point", "enum", values=ENTRY_POINTS),
                Column("created_at", "timestamp"),
                Column("paid_at", "timestamp", required=False),
                Column("updated_at", "timestamp"),
                # Personal data: loaded into raw only, never carried past staging.
                Column("receiver_phone", "string", required=False, personal=True),
                Column("receiver_address", "string", required=False, personal=True),
            ),
            (
                RowRule(
                    "discount_exceeds_item",
                    "discount_amount <= item_amount",
                    "discount_amount is greater than item_amount",
                ),
                RowRule(
                    "refund_exceeds_paid",
                    "refund_amount <= coalesce(paid_amount, 0)",
                    "refund_amount is greater than paid_amount",
                ),
                RowRule(
                    "updated_before_created",
                    "updated_at >= created_at",
                    "updated_at is earlier than created_at",
                ),
                RowRule(
                    "paid_at_missing",
                    "paid_at IS NOT NULL OR status IN ('created', 'cancelled')",
                    "paid_at is required once status is past 'created'",
                ),
            ),
        ),
        Source(
            "follows",
            (
                Column("event_id", "id"),
                Column("follower_id", "id"),
                Column("streamer_id", "id"),
                Column("event_type", "enum", values=("follow", "unfollow")),
                Column("event_at", "timestamp", history_days=STATE_HISTORY_DAYS),
            ),
        ),
        Source(
            "livestream_sessions",
            (
                Column("session_id", "id"),
                Column("streamer_id", "id"),
                Column("started_at", "timestamp"),
                Column("ended_at", "timestamp"),
                Column("viewers", "integer", minimum=0),
                Column("follower_viewers", "integer", minimum=0),
                Column("watch_seconds", "integer", minimum=0),
                Column("peak_concurrent", "integer", minimum=0),
                Column("interactions", "integer", minimum=0),
            ),
            (
                RowRule(
                    "ended_before_started",
                    "ended_at >= started_at",
                    "ended_at is earlier than started_at",
                ),
                RowRule(
                    "follower_viewers_exceed_viewers",
                    "follower_viewers <= viewers",
                    "follower_viewers is greater than viewers",
                ),
            ),
        ),
        Source(
            "streamers",
            (
                Column("streamer_id", "id"),
                Column("shop_id", "id", required=False),
                Column("category", "string", required=False),
                Column("follower_count", "integer", minimum=0),
                # Account creation: any time before the snapshot (the absolute range only).
                Column("created_at", "timestamp", required=False, history_days=None),
            ),
        ),
        Source(
            "trust_card_events",
            (
                Column("event_id", "id"),
                Column("shop_id", "id"),
                Column("right", "enum", values=TRUST_CARD_RIGHTS),
                Column("event_type", "enum", values=("enabled", "disabled")),
                Column("event_at", "timestamp", history_days=STATE_HISTORY_DAYS),
            ),
        ),
        Source(
            "enforcement_actions",
            (
                Column("action_id", "id"),
                Column("action_at", "timestamp"),
                Column("action_type", "enum", values=ACTION_TYPES),
                Column("reason", "enum", values=ACTION_REASONS),
                Column("target_type", "enum", values=TARGET_TYPES),
                Column("target_id", "id"),
                Column("session_id", "id", required=False),
                Column("campaign", "string", required=False),
                Column("gang_id", "id", required=False),
                Column("case_id", "id", required=False),
                Column("reporter_id", "id", required=False),
                Column(
                    "amount_involved",
                    "money",
                    required=False,
                    minimum=0,
                    maximum=MAX_AMOUNT_INVOLVED,
                ),
            ),
        ),
    )
}

# Columns that ingestion adds to every raw table: where each row came from.
LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_partition_dt", "DATE"),
    ("_source_file", "VARCHAR"),
    ("_source_row", "BIGINT"),
)

LANDING_FILE_SUFFIXES = (".parquet", ".csv", ".csv.gz", ".jsonl", ".jsonl.gz")

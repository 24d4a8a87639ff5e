"""SQL that renders the simulator's numeric columns as the landing contract's columns.

The simulator keeps everything as numbers (ids as counters, enums as codes, money as cents,
times as local wall-clock microseconds); these queries, run by DuckDB over one day's batch,
turn them into ids, names, decimals and timestamps.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa

from orchestration.simulation.vocabulary import (
    ACTION_TYPE,
    CATEGORY,
    ENTRY_POINT,
    ORDER_STATUS,
    REASON,
    TARGET_TYPE,
    TRUST_CARD_RIGHT,
)
from orchestration.simulation.writer import money_sql


def render_timestamps(select: str, file_format: str) -> str:
    """Replace each `@ts(column)`, a local wall-clock microseconds column, by a timestamp:
    with time zone in Parquet, ISO 8601 text with the +08:00 offset in text formats."""
    render = _parquet_ts if file_format == "parquet" else _text_ts
    return re.sub(r"@ts\((\w+)\)", lambda match: render(match.group(1)), select)


def _parquet_ts(column: str) -> str:
    """Local wall-clock microseconds as a timestamp with time zone (Asia/Shanghai)."""
    return f"timezone('Asia/Shanghai', make_timestamp({column}))"


def _text_ts(column: str) -> str:
    return f"strftime(make_timestamp({column}), '%Y-%m-%dT%H:%M:%S') || '+08:00'"


def _id(prefix: str, column: str, width: int) -> str:
    return f"'{prefix}' || lpad({column}::varchar, {width}, '0')"


def _when(condition: str, value: str) -> str:
    return f"case when {condition} then {value} end"


ORDERS_SQL = f"""
select
    {_id("o", "order_no", 10)} as order_id,
    {_id("b", "buyer", 9)} as buyer_id,
    {_id("shop", "shop", 6)} as shop_id,
    {_when("streamer >= 0", _id("s", "streamer", 6))} as streamer_id,
    {_when("session >= 0", _id("sess", "session", 9))} as session_id,
    {_id("p", "shop", 6)} || '-' || product::varchar as product_id,
    {CATEGORY.sql("category")} as category,
    quantity::integer as quantity,
    {money_sql("item_cents")} as item_amount,
    {money_sql("discount_cents")} as discount_amount,
    {_when("paid_cents >= 0", money_sql("paid_cents"))} as paid_amount,
    {money_sql("refund_cents")} as refund_amount,
    {ORDER_STATUS.sql("status")} as status,
    {ENTRY_POINT.sql("entry_point")} as entry_point,
    @ts(created_us) as created_at,
    {_when("paid_us >= 0", "@ts(paid_us)")} as paid_at,
    @ts(updated_us) as updated_at,
    '1' || lpad(((buyer * 7919) % 10000000000)::varchar, 10, '0') as receiver_phone,
    '上海市浦东新区幸福路' || (buyer % 997 + 1)::varchar || '号' as receiver_address
from batch
"""
FOLLOWS_SQL = f"""
select
    {_id("f", "event_no", 11)} as event_id,
    {_id("b", "buyer", 9)} as follower_id,
    {_id("s", "streamer", 6)} as streamer_id,
    case when is_follow then 'follow' else 'unfollow' end as event_type,
    @ts(at_us) as event_at
from batch
"""
SESSIONS_SQL = f"""
select
    {_id("sess", "session", 9)} as session_id,
    {_id("s", "streamer", 6)} as streamer_id,
    @ts(started_us) as started_at,
    @ts(ended_us) as ended_at,
    viewers, follower_viewers, watch_seconds, peak_concurrent, interactions
from batch
"""
STREAMERS_SQL = f"""
select
    {_id("s", "streamer", 6)} as streamer_id,
    {_when("shop >= 0", _id("shop", "shop", 6))} as shop_id,
    {CATEGORY.sql("category")} as category,
    follower_count,
    @ts(created_us) as created_at
from batch
"""
TRUST_SQL = f"""
select
    {_id("tc", "event_no", 8)} as event_id,
    {_id("shop", "shop", 6)} as shop_id,
    {TRUST_CARD_RIGHT.sql("right_no")} as "right",
    case when enabled then 'enabled' else 'disabled' end as event_type,
    @ts(at_us) as event_at
from batch
"""
ACTIONS_SQL = f"""
select
    {_id("act", "action_no", 10)} as action_id,
    @ts(at_us) as action_at,
    {ACTION_TYPE.sql("action_type")} as action_type,
    {REASON.sql("reason")} as reason,
    {TARGET_TYPE.sql("target_type")} as target_type,
    case target_type
        when {TARGET_TYPE["order"]} then {_id("bo", "target", 10)}
        when {TARGET_TYPE["account"]} then {_id("acct", "target", 9)}
        when {TARGET_TYPE["shop"]} then {_id("shop", "target", 6)}
        when {TARGET_TYPE["streamer"]} then {_id("s", "target", 6)}
        else {_id("sess", "target", 9)}
    end as target_id,
    {_when("session >= 0", _id("sess", "session", 9))} as session_id,
    case when pinocchio then 'pinocchio' end as campaign,
    {_when("gang >= 0", _id("gang", "gang", 4))} as gang_id,
    {_when("police_case >= 0", _id("case", "police_case", 4))} as case_id,
    {_when("reporter >= 0", _id("b", "reporter", 9))} as reporter_id,
    {_when("amount_cents >= 0", money_sql("amount_cents"))} as amount_involved
from batch
"""

ORDER_FIELDS = ("order_no", "buyer", "shop", "streamer", "session", "product", "category",
                "quantity", "item_cents", "discount_cents", "paid_cents", "refund_cents", "status",
                "entry_point", "created_us", "paid_us", "updated_us")  # fmt: skip


def table(columns: dict[str, np.ndarray]) -> pa.Table:
    return pa.table({name: pa.array(values) for name, values in columns.items()})

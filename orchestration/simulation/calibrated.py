"""Calibrated platform simulator: a live-commerce platform at any size, with planted truth.

`simulate_platform(landing, start, days, orders)` writes the six landing sources (LANDING.md) for
`days` export dates, with about `orders` counted orders in all: a few thousand for tests, 100 M for
benchmarks. It is calibrated to the published figures in METRICS.md and writes what it planted to
`<landing>/simulation_manifest.json`, so that tests can check that the marts recover it.

How the platform is generated (the planted truth, per calendar month M):

- **Buyers.** N_M buyers are active in M; exactly R_M = round(r_M × N_M) of them are drawn from the
  buyers active in the 12 months before M, the rest are new. So the platform's
  `returning_buyer_share` for M is R_M / N_M exactly; r_M rises linearly from 45% to 65% (the
  published 2019 → 2020 repurchase rates, read as returning-buyer share).
- **Orders per buyer.** Each active buyer places 1 + Poisson(λ_M) counted orders in M, on distinct
  days (at most one counted order per buyer and day). So the platform's monthly
  `repeat_purchase_rate` is 1 − exp(−λ_M) in expectation.
- **Private domain.** A buyer's repurchase order (2nd or later counted order on the platform) is
  private-domain with probability q_M (80% → 86%, around the published 84%); a first order with
  probability 30%. A private order is sold by a streamer the buyer follows at the moment of payment
  (a follow event is written before it when needed); a public order never is. Each buyer follows at
  most one streamer at a time, so follows, unfollows (churn, switching streamers) and later
  re-follows stay consistent with the planted flag.
- **Streamers.** Five fan tiers; the 100k–1M tier gets about half of the streamer-sold orders and
  the top tiers a heavy tail. A streamer goes live on a day with a probability by tier; an order
  from a streamer with a session that day is placed in it, otherwise it is a short-video order.
  Session UV, follower UV and watch time are derived from the session's buyers, so the GMV
  identity's factors are realistic.
- **Shops and trust card.** A repurchase goes back to the buyer's previous shop with probability
  30%, or 55% while that shop holds 退货补运费 (`return_shipping_comp`): enabling the right raises
  a shop's repurchase. A share of shops enables it during the simulated range.
- **Money and versions.** Prices by category; a paid version on the payment day, then either a
  completed version 3–10 days later or (8%) a refund 1–30 days later. 4% extra orders are cancelled
  before payment. Volumes grow month on month and peak in the 616 and 116 festivals.
- **Enforcement** scales with the platform: brushing interceptions and room bans in proportion to
  orders and sessions, gangs, police cases and penalties in proportion to the published yearly
  figures times (simulated orders per year / the platform's orders per year), with a floor so that
  small runs still hold each kind.

Generation is vectorised with numpy, one month of orders in memory at a time; each export date's
files are written as soon as the day is done, through DuckDB (Parquet by default; csv, csv.gz,
jsonl, jsonl.gz on request). Deterministic for a seed with the pinned numpy version.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from orchestration.landing.contract import LANDING_FILE_SUFFIXES, SOURCES, TRUST_CARD_RIGHTS

__all__ = ["Calibration", "PlatformSummary", "simulate_platform", "MANIFEST_NAME", "FORMATS"]

MANIFEST_NAME = "simulation_manifest.json"
FORMATS = tuple(suffix.removeprefix(".") for suffix in LANDING_FILE_SUFFIXES)
DAY_SECONDS = 86_400
EPOCH = date(1970, 1, 1)

CATEGORIES = ("美妆", "apparel", "food", "home", "electronics", "jewelry", "mother_baby")
CATEGORY_MEDIAN_CENTS = (12_900, 15_900, 3_900, 7_900, 49_900, 29_900, 9_900)
# fan tiers (METRICS.md): follower-count bounds, drawn inside so that a year's growth never
# crosses a bound
TIER_BOUNDS = ((1_000, 8_000), (10_000, 80_000), (100_000, 800_000), (1_000_000, 8_000_000),
               (10_000_000, 40_000_000))  # fmt: skip
TIER_NAMES = ("<10k", "10k-100k", "100k-1M", "1M-10M", ">=10M")
STATUS = ("paid", "completed", "refunded", "cancelled")
ENTRY_POINTS = ("follow_feed", "fan_group", "discovery_feed", "search", "short_video",
                "shop_page", "other")  # fmt: skip
HOUR_WEIGHTS = np.array((1, 1, 1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 6, 5, 5, 5, 5, 6, 7, 9, 11, 12, 12, 8))
ACTION_TYPES = ("brushing_intercept", "user_report", "warning", "penalty", "room_ban",
                "account_clearance", "police_referral")  # fmt: skip
REASONS = ("order_brushing", "private_order", "false_advertising", "counterfeit", "gang_fraud",
           "other")  # fmt: skip
TARGET_TYPES = ("order", "account", "shop", "streamer", "live_room")


@dataclass(frozen=True)
class Calibration:
    """The planted parameters. Pairs are (first month, last month), interpolated linearly."""

    returning_share: tuple[float, float] = (0.45, 0.65)
    repeat_purchase_rate: tuple[float, float] = (0.22, 0.32)
    repurchase_private_share: tuple[float, float] = (0.80, 0.86)
    first_order_private_share: float = 0.30
    public_order_with_streamer: float = 0.55
    monthly_growth: float = 0.05
    festival_day_factor: float = 1.3
    festival_peak_factor: float = 2.5
    weekend_factor: float = 1.1
    cancelled_per_counted_order: float = 0.04
    refund_rate: float = 0.08
    full_refund_share: float = 0.7
    refund_delay_days: tuple[int, int] = (1, 30)
    completion_delay_days: tuple[int, int] = (3, 10)
    switch_streamer: float = 0.05
    follow_after_purchase: float = 0.08
    daily_unfollow: float = 0.002
    shop_loyalty: float = 0.30
    shop_loyalty_with_right: float = 0.55
    right_adopting_shops: float = 0.30
    tier_streamer_share: tuple[float, ...] = (0.40, 0.33, 0.20, 0.06, 0.01)
    tier_order_share: tuple[float, ...] = (0.04, 0.14, 0.52, 0.22, 0.08)
    tier_live_probability: tuple[float, ...] = (0.15, 0.25, 0.60, 0.50, 0.35)
    own_shop_streamers: float = 0.6
    sells_own_shop: float = 0.7
    # enforcement, from the published yearly figures of a platform of this many orders a year
    platform_orders_per_year: float = 7.6e9  # 381.2 bn CNY GMV / about 50 CNY per order
    brushing_per_order: float = 50_000 * 365 / 7.6e9
    room_bans_per_session: float = 0.01
    gangs_per_year: float = 24
    accounts_per_gang: tuple[int, int] = (20, 150)
    police_cases_per_year: float = 11
    referrals_per_case: tuple[int, int] = (1, 6)
    referral_amount_cny: tuple[int, int] = (500_000, 3_500_000)
    reports_per_year: float = 8_000_000
    warnings_per_year: float = 400_000  # not published: a twentieth of the reports
    penalties_per_year: float = 45_000
    min_yearly_events: float = 6  # floor for gangs, cases, reports and penalties per year


@dataclass(frozen=True)
class PlatformSummary:
    landing_dir: Path
    start: date
    days: int
    seed: int
    counted_orders: int
    buyers: int
    rows_written: dict[str, int] = field(default_factory=dict)
    files_written: int = 0


def simulate_platform(
    landing_dir: Path,
    start: date,
    days: int,
    orders: int,
    seed: int = 7,
    file_format: str = "parquet",
    calibration: Calibration | None = None,
    progress: Callable[[str], None] | None = None,
) -> PlatformSummary:
    """Write `days` export dates from `start` with about `orders` counted orders in all.

    Re-running replaces the landing files of those export dates; no other partition is touched.
    """
    if days < 1:
        raise ValueError("days must be >= 1")
    if orders < 1:
        raise ValueError("orders must be >= 1")
    if file_format not in FORMATS:
        raise ValueError(f"file_format must be one of {', '.join(FORMATS)}")
    sim = _Platform(Path(landing_dir), start, days, orders, seed, file_format,
                    calibration or Calibration())  # fmt: skip
    sim.run(progress or (lambda message: None))
    manifest = sim.manifest()
    (Path(landing_dir) / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, default=str))
    return PlatformSummary(
        landing_dir=Path(landing_dir),
        start=start,
        days=days,
        seed=seed,
        counted_orders=manifest["totals"]["counted_orders"],
        buyers=manifest["totals"]["buyers"],
        rows_written=dict(sim.writer.rows),
        files_written=sim.writer.files,
    )


def _interpolate(pair: tuple[float, float], k: int, n: int) -> float:
    return pair[0] if n <= 1 else pair[0] + (pair[1] - pair[0]) * k / (n - 1)


def _month_segments(start: date, days: int) -> list[tuple[int, int]]:
    """(first day index, last day index) of each calendar month in the range."""
    segments = []
    first = 0
    for i in range(1, days + 1):
        if i == days or (start + timedelta(days=i)).day == 1:
            segments.append((first, i - 1))
            first = i
    return segments


class _Writer:
    """Writes one export date's records per source through DuckDB, replacing the partition."""

    def __init__(self, landing: Path, file_format: str) -> None:
        self.landing = landing
        self.file_format = file_format
        self.rows: dict[str, int] = dict.fromkeys(SOURCES, 0)
        self.files = 0
        self.conn = duckdb.connect()
        self.conn.execute("set enable_progress_bar = false; set TimeZone = 'Asia/Shanghai'")

    def clear(self, source: str, dt: date) -> Path:
        part = self.landing / source / f"dt={dt.isoformat()}"
        if part.is_dir():
            for path in part.iterdir():
                if path.is_file() and path.name.endswith(LANDING_FILE_SUFFIXES):
                    path.unlink()
        return part

    def write(self, source: str, dt: date, table: pa.Table, select: str) -> None:
        """`select` renders the numeric columns of `table` (named `batch`) into contract columns;
        `@ts(column)` stands for a local wall-clock microseconds column rendered as a timestamp."""
        part = self.clear(source, dt)
        if table.num_rows == 0:
            return
        part.mkdir(parents=True, exist_ok=True)
        extension = self.file_format
        text = not extension.startswith("parquet")
        if extension == "parquet":
            options = "format parquet, compression zstd"
        elif extension.startswith("csv"):
            options = "format csv, header true"
        else:
            options = "format json"
        if extension.endswith(".gz"):
            options += ", compression gzip"
        path = part / f"part-0.{extension}"
        self.conn.register("batch", table)
        render = _text_ts if text else _parquet_ts
        sql = re.sub(r"@ts\((\w+)\)", lambda match: render(match.group(1)), select)
        self.conn.execute(f"copy ({sql}) to '{path}' ({options})")
        self.conn.unregister("batch")
        self.rows[source] += table.num_rows
        self.files += 1


def _parquet_ts(column: str) -> str:
    """Local wall-clock microseconds as a timestamp with time zone (Asia/Shanghai)."""
    return f"timezone('Asia/Shanghai', make_timestamp({column}))"


def _text_ts(column: str) -> str:
    return f"strftime(make_timestamp({column}), '%Y-%m-%dT%H:%M:%S') || '+08:00'"


def _id(prefix: str, column: str, width: int) -> str:
    return f"'{prefix}' || lpad({column}::varchar, {width}, '0')"


def _enum(values: tuple[str, ...], column: str) -> str:
    listed = ", ".join(f"'{v}'" for v in values)
    return f"[{listed}][{column} + 1]"


def _money(column: str) -> str:
    """Integer cents to decimal(18,2): exact, since cents / 100 as a double rounds back."""
    return f"({column} / 100)::decimal(18,2)"


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
    {_enum(CATEGORIES, "category")} as category,
    quantity::integer as quantity,
    {_money("item_cents")} as item_amount,
    {_money("discount_cents")} as discount_amount,
    {_when("paid_cents >= 0", _money("paid_cents"))} as paid_amount,
    {_money("refund_cents")} as refund_amount,
    {_enum(STATUS, "status")} as status,
    {_enum(ENTRY_POINTS, "entry_point")} as entry_point,
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
    {_enum(CATEGORIES, "category")} as category,
    follower_count,
    @ts(created_us) as created_at
from batch
"""
TRUST_SQL = f"""
select
    {_id("tc", "event_no", 8)} as event_id,
    {_id("shop", "shop", 6)} as shop_id,
    {_enum(TRUST_CARD_RIGHTS, "right_no")} as "right",
    case when enabled then 'enabled' else 'disabled' end as event_type,
    @ts(at_us) as event_at
from batch
"""
ACTIONS_SQL = f"""
select
    {_id("act", "action_no", 10)} as action_id,
    @ts(at_us) as action_at,
    {_enum(ACTION_TYPES, "action_type")} as action_type,
    {_enum(REASONS, "reason")} as reason,
    {_enum(TARGET_TYPES, "target_type")} as target_type,
    case target_type
        when 0 then {_id("bo", "target", 10)}
        when 1 then {_id("acct", "target", 9)}
        when 2 then {_id("shop", "target", 6)}
        when 3 then {_id("s", "target", 6)}
        else {_id("sess", "target", 9)}
    end as target_id,
    {_when("session >= 0", _id("sess", "session", 9))} as session_id,
    case when pinocchio then 'pinocchio' end as campaign,
    {_when("gang >= 0", _id("gang", "gang", 4))} as gang_id,
    {_when("police_case >= 0", _id("case", "police_case", 4))} as case_id,
    {_when("reporter >= 0", _id("b", "reporter", 9))} as reporter_id,
    {_when("amount_cents >= 0", _money("amount_cents"))} as amount_involved
from batch
"""

ORDER_FIELDS = ("order_no", "buyer", "shop", "streamer", "session", "product", "category",
                "quantity", "item_cents", "discount_cents", "paid_cents", "refund_cents", "status",
                "entry_point", "created_us", "paid_us", "updated_us")  # fmt: skip


def _table(columns: dict[str, np.ndarray]) -> pa.Table:
    return pa.table({name: pa.array(values) for name, values in columns.items()})


class _Platform:
    def __init__(
        self, landing: Path, start: date, days: int, orders: int, seed: int, file_format: str,
        cal: Calibration,
    ) -> None:  # fmt: skip
        self.start = start
        self.days = days
        self.target_orders = orders
        self.seed = seed
        self.cal = cal
        self.rng = np.random.default_rng(seed)
        self.writer = _Writer(landing, file_format)
        self.segments = _month_segments(start, days)
        self.day_weight = self._day_weights()
        self.scale_to_platform = orders / days * 365 / cal.platform_orders_per_year
        self._build_world()
        capacity = max(1024, orders)
        self.last_month = np.full(capacity, -1000, dtype=np.int32)
        self.order_count = np.zeros(capacity, dtype=np.int32)
        self.following = np.full(capacity, -1, dtype=np.int32)
        self.last_shop = np.full(capacity, -1, dtype=np.int32)
        self.ordering_today = np.zeros(capacity, dtype=bool)
        self.n_buyers = 0
        self.next_order = 1
        self.next_follow = 1
        self.next_session = 1
        self.next_action = 1
        self.next_trust = 1
        self.next_account = 1
        self.next_gang = 1
        self.next_case = 1
        self.gang_accounts: tuple[int, np.ndarray] | None = None
        self.pending_versions: dict[int, list[dict[str, np.ndarray]]] = defaultdict(list)
        self.months: list[dict[str, object]] = []
        self.planted_gmv_cents: dict[str, int] = defaultdict(int)
        self.counted_orders = 0

    # -- world ---------------------------------------------------------------------------------

    def _day_weights(self) -> np.ndarray:
        cal = self.cal
        weights = np.empty(self.days)
        for i in range(self.days):
            d = self.start + timedelta(days=i)
            w = (1 + cal.monthly_growth) ** (i / 30.4)
            if (d.month, d.day) in ((6, 16), (11, 16)):
                w *= cal.festival_peak_factor
            elif (d.month == 6 and d.day <= 18) or (d.month == 11 and d.day <= 16):
                w *= cal.festival_day_factor
            if d.weekday() >= 5:
                w *= cal.weekend_factor
            weights[i] = w
        return weights

    def _build_world(self) -> None:
        cal, rng = self.cal, self.rng
        n = int(np.clip(round(2 * math.sqrt(self.target_orders)), 40, 20_000))
        shares = np.array(cal.tier_streamer_share)
        tier_counts = np.maximum(1, np.round(shares * n).astype(int))
        self.tier = np.repeat(np.arange(5), tier_counts).astype(np.int32)
        rng.shuffle(self.tier)
        n = self.n_streamers = self.tier.size
        low = np.array([b[0] for b in TIER_BOUNDS])[self.tier]
        high = np.array([b[1] for b in TIER_BOUNDS])[self.tier]
        self.followers0 = (low + (high - low) * rng.random(n) ** 2).astype(np.int64)
        self.growth = rng.uniform(0, 0.0004, n)  # per day: under +16% a year, never a new tier
        # each tier's share of streamer-sold orders, spread over its streamers with some skew
        weight = (np.array(cal.tier_order_share) / tier_counts)[self.tier]
        weight = weight * rng.uniform(0.5, 1.5, n)
        self.streamer_cum = np.cumsum(weight)
        self.live_probability = np.array(cal.tier_live_probability)[self.tier]
        self.n_shops = max(10, int(n * 0.7))
        self.shop_category = rng.integers(0, len(CATEGORIES), self.n_shops).astype(np.int32)
        self.shop_cum = np.cumsum(1 + 9 * rng.random(self.n_shops) ** 2)
        # a share of streamers owns a shop (at most one streamer per shop)
        owners = np.flatnonzero(rng.random(n) < cal.own_shop_streamers)[: self.n_shops]
        self.own_shop = np.full(n, -1, dtype=np.int32)
        self.own_shop[owners] = rng.permutation(self.n_shops)[: owners.size]
        self.streamer_category = np.where(
            self.own_shop >= 0, self.shop_category[np.maximum(self.own_shop, 0)],
            rng.integers(0, len(CATEGORIES), n),
        ).astype(np.int32)  # fmt: skip
        day0_us = self._day_us(0)
        self.streamer_created_us = day0_us - rng.integers(200, 2500, n) * DAY_SECONDS * 10**6
        # 退货补运费: adopted by a share of shops on a day well inside the range
        self.right_from = np.full(self.n_shops, 1 << 30, dtype=np.int64)
        adopters = rng.random(self.n_shops) < cal.right_adopting_shops
        if self.days > 30:
            lo, hi = self.days // 4, max(self.days // 4 + 1, self.days * 3 // 4)
            self.right_from[adopters] = rng.integers(lo, hi, adopters.sum())

    def _day_us(self, i: int) -> int:
        return ((self.start - EPOCH).days + i) * DAY_SECONDS * 10**6

    def _pick(self, cum: np.ndarray, size: int) -> np.ndarray:
        return np.minimum(
            np.searchsorted(cum, self.rng.random(size) * cum[-1], side="right"), cum.size - 1
        ).astype(np.int32)

    def _times_of_day(self, size: int) -> np.ndarray:
        """Seconds after midnight, by hour of day, never in the first two minutes."""
        hours = self.rng.choice(24, size=size, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
        return np.maximum(hours * 3600 + self.rng.integers(0, 3600, size), 120)

    # -- the run -------------------------------------------------------------------------------

    def run(self, progress: Callable[[str], None]) -> None:
        self._initial_trust_card()
        targets = self.target_orders * self.day_weight / self.day_weight.sum()
        for m, (first, last) in enumerate(self.segments):
            month = self._plan_month(m, first, last, targets)
            for i in range(first, last + 1):
                self._day(i, month)
            progress(
                f"simulated {self.start + timedelta(days=last)}: {self.counted_orders:,} counted "
                f"orders, {self.n_buyers:,} buyers"
            )

    def _plan_month(self, m: int, first: int, last: int, targets: np.ndarray) -> dict:
        cal, rng = self.cal, self.rng
        n_months = len(self.segments)
        n_days = last - first + 1
        repeat_rate = _interpolate(cal.repeat_purchase_rate, m, n_months)
        lam = -math.log(1 - repeat_rate)
        wanted = float(targets[first : last + 1].sum())
        active_n = max(1, round(wanted / (1 + lam)))
        pool = np.flatnonzero(self.last_month[: self.n_buyers] >= m - 12)
        share = 0.0 if m == 0 else _interpolate(cal.returning_share, m - 1, n_months - 1)
        returning_n = min(round(share * active_n), pool.size)
        returning = rng.choice(pool, returning_n, replace=False) if returning_n else pool[:0]
        new_n = active_n - returning_n
        self._ensure_capacity(self.n_buyers + new_n)
        new = np.arange(self.n_buyers, self.n_buyers + new_n, dtype=np.int64)
        self.n_buyers += new_n
        active = np.concatenate([returning.astype(np.int64), new])
        per_buyer = np.minimum(1 + rng.poisson(lam, active_n), n_days)
        buyers = np.repeat(active, per_buyer)
        p = self.day_weight[first : last + 1] / self.day_weight[first : last + 1].sum()
        days = first + rng.choice(n_days, size=buyers.size, p=p)
        for _ in range(10_000):  # at most one counted order per buyer and day
            order = np.lexsort((days, buyers))
            b, d = buyers[order], days[order]
            clash = order[1:][(b[1:] == b[:-1]) & (d[1:] == d[:-1])]
            if clash.size == 0:
                break
            days[clash] = first + rng.integers(0, n_days, clash.size)
        # sequence on the platform: the buyer's earlier counted orders, then the earlier days
        order = np.lexsort((days, buyers))
        b = buyers[order]
        starts = np.r_[0, np.flatnonzero(b[1:] != b[:-1]) + 1]
        rank = np.arange(b.size) - np.repeat(starts, np.diff(np.r_[starts, b.size]))
        is_repurchase = np.empty(b.size, dtype=bool)
        is_repurchase[order] = (self.order_count[b] + rank) >= 1
        self.order_count[active] += per_buyer.astype(np.int32)
        self.last_month[active] = m
        private_share = _interpolate(cal.repurchase_private_share, m, n_months)
        private = rng.random(buyers.size) < np.where(
            is_repurchase, private_share, cal.first_order_private_share
        )
        with_streamer = private | (rng.random(buyers.size) < cal.public_order_with_streamer)
        by_day = np.argsort(days, kind="stable")
        cancelled_n = round(cal.cancelled_per_counted_order * buyers.size)
        month_start = self.start + timedelta(days=first)
        self.months.append(
            {
                "month_start": month_start.replace(day=1).isoformat(),
                "first_day": month_start.isoformat(),
                "days": n_days,
                "active_buyers": int(active_n),
                "returning_buyers": int(returning_n),
                "returning_buyer_share": returning_n / active_n,
                "returning_share_wanted": share,
                "repeat_purchase_probability": 1 - math.exp(-lam),
                "repurchase_private_probability": private_share,
                "first_order_private_probability": cal.first_order_private_share,
                "counted_orders": int(buyers.size),
                "repurchase_orders": int(is_repurchase.sum()),
                "private_repurchase_orders": int((is_repurchase & private).sum()),
                "buyers_with_two_or_more_orders": int((per_buyer >= 2).sum()),
            }
        )
        return {
            "days": days[by_day],
            "buyers": buyers[by_day],
            "private": private[by_day],
            "with_streamer": with_streamer[by_day],
            "is_repurchase": is_repurchase[by_day],
            "cancelled_buyers": rng.choice(active, cancelled_n),
            "cancelled_days": first + rng.choice(n_days, size=cancelled_n, p=p),
        }

    def _ensure_capacity(self, n: int) -> None:
        if n <= self.last_month.size:
            return
        grow = max(n, 2 * self.last_month.size) - self.last_month.size
        self.last_month = np.r_[self.last_month, np.full(grow, -1000, dtype=np.int32)]
        self.order_count = np.r_[self.order_count, np.zeros(grow, dtype=np.int32)]
        self.following = np.r_[self.following, np.full(grow, -1, dtype=np.int32)]
        self.last_shop = np.r_[self.last_shop, np.full(grow, -1, dtype=np.int32)]
        self.ordering_today = np.r_[self.ordering_today, np.zeros(grow, dtype=bool)]

    def _day(self, i: int, month: dict) -> None:
        rng, cal = self.rng, self.cal
        dt = self.start + timedelta(days=i)
        day_us = self._day_us(i)
        lo, hi = np.searchsorted(month["days"], [i, i + 1])
        b = month["buyers"][lo:hi]
        private = month["private"][lo:hi]
        with_streamer = month["with_streamer"][lo:hi]
        repurchase = month["is_repurchase"][lo:hi]
        n = b.size

        # sessions of the day: start 10:00-21:00, 1-3 hours, over before midnight
        live = np.flatnonzero(rng.random(self.n_streamers) < self.live_probability)
        s_start = rng.integers(10 * 3600, 21 * 3600, live.size)
        s_end = s_start + rng.integers(3600, 3 * 3600, live.size)
        session_no = self.next_session + np.arange(live.size)
        self.next_session += live.size
        session_of = np.full(self.n_streamers, -1, dtype=np.int64)
        session_of[live] = np.arange(live.size)

        # who sells each order: private orders go to the followed streamer (following first if
        # needed), public ones never to a streamer the buyer follows
        followed = self.following[b]
        streamer = np.full(n, -1, dtype=np.int32)
        new_follow = private & ((followed < 0) | (rng.random(n) < cal.switch_streamer))
        keep = private & ~new_follow
        streamer[keep] = followed[keep]
        streamer[new_follow] = self._pick(self.streamer_cum, int(new_follow.sum()))
        public_streamer = ~private & with_streamer
        picked = self._pick(self.streamer_cum, int(public_streamer.sum()))
        picked = np.where(picked == followed[public_streamer], (picked + 1) % self.n_streamers,
                          picked)  # fmt: skip
        streamer[public_streamer] = picked
        switched = new_follow & (followed >= 0) & (followed != streamer)
        same = new_follow & (followed == streamer)  # re-picked the followed one: nothing to do
        new_follow &= ~same

        # when: inside the streamer's session if it is live today, else by hour of day
        slot = np.where(streamer >= 0, session_of[np.maximum(streamer, 0)], -1)
        in_session = slot >= 0
        seconds = self._times_of_day(n)
        k = slot[in_session]
        seconds[in_session] = s_start[k] + (rng.random(k.size) * (s_end[k] - s_start[k])).astype(
            np.int64)  # fmt: skip
        session = np.where(in_session, session_no[np.maximum(slot, 0)] if live.size else -1, -1)
        entry = np.where(
            in_session & private, rng.choice([0, 1], n, p=[0.7, 0.3]),
            np.where(in_session, rng.choice([2, 3, 6], n, p=[0.7, 0.15, 0.15]),
                     np.where(streamer >= 0, 4, rng.choice([5, 3, 6], n, p=[0.5, 0.4, 0.1]))),
        )  # fmt: skip

        # follow events around the payment
        follow_rows = []
        lead = np.minimum(rng.integers(60, 1800, n), seconds - 2)
        if switched.any():
            follow_rows.append((b[switched], followed[switched],
                                seconds[switched] - lead[switched] - 1, False))  # fmt: skip
        if new_follow.any():
            follow_rows.append(
                (b[new_follow], streamer[new_follow], seconds[new_follow] - lead[new_follow], True)
            )
            self.following[b[new_follow]] = streamer[new_follow]
        after = (public_streamer & (followed < 0) & (seconds < DAY_SECONDS - 61)
                 & (rng.random(n) < cal.follow_after_purchase))  # fmt: skip
        if after.any():
            delay = np.minimum(rng.integers(60, 3600, n), DAY_SECONDS - 1 - seconds)[after]
            follow_rows.append((b[after], streamer[after], seconds[after] + delay, True))
            self.following[b[after]] = streamer[after]
        # churn: followers with no order today unfollow
        self.ordering_today[b] = True
        candidates = np.flatnonzero(
            (self.following[: self.n_buyers] >= 0) & ~self.ordering_today[: self.n_buyers]
        )
        self.ordering_today[b] = False
        quitting = rng.binomial(candidates.size, cal.daily_unfollow)
        if quitting:
            gone = rng.choice(candidates, quitting, replace=False)
            follow_rows.append((gone, self.following[gone], self._times_of_day(quitting), False))
            self.following[gone] = -1

        # which shop: a repurchase may go back to the previous shop, more often with the right
        previous = self.last_shop[b]
        has_right = (previous >= 0) & (self.right_from[np.maximum(previous, 0)] <= i)
        loyal = (
            repurchase
            & (previous >= 0)
            & (rng.random(n) < np.where(has_right, cal.shop_loyalty_with_right, cal.shop_loyalty))
        )
        own = np.where(streamer >= 0, self.own_shop[np.maximum(streamer, 0)], -1)
        shop = np.where((own >= 0) & (rng.random(n) < cal.sells_own_shop), own,
                        self._pick(self.shop_cum, n))  # fmt: skip
        shop = np.where(loyal, previous, shop).astype(np.int32)
        self.last_shop[b] = shop

        self._queue_orders(i, day_us, b, shop, streamer, session, entry, seconds)
        self._cancelled_orders(i, day_us, month)
        self.counted_orders += n

        # write the day
        self._write_orders(i, dt)
        self._write_follows(dt, day_us, follow_rows)
        self._write_sessions(dt, day_us, live, s_start, s_end, session_no, session, b, private)
        self._write_streamers(dt, i)
        self._write_trust_card(dt, i, day_us)
        self._write_enforcement(dt, day_us, n, live, s_start, s_end, session_no)

    def _amounts(self, shop: np.ndarray) -> tuple[np.ndarray, ...]:
        rng = self.rng
        n = shop.size
        category = self.shop_category[shop]
        median = np.array(CATEGORY_MEDIAN_CENTS)[category]
        price = np.maximum(100, np.round(median * rng.lognormal(0, 0.5, n) / 10) * 10)
        quantity = rng.choice([1, 2, 3], n, p=[0.8, 0.15, 0.05])
        item = (price * quantity).astype(np.int64)
        discount = np.where(rng.random(n) < 0.6, (item * rng.uniform(0, 0.15, n)).astype(np.int64),
                            0)  # fmt: skip
        return category, quantity, item, discount, rng.integers(0, 20, n)

    def _queue_orders(self, i, day_us, b, shop, streamer, session, entry, seconds) -> None:
        cal, rng = self.cal, self.rng
        n = b.size
        if n == 0:
            return
        category, quantity, item, discount, product = self._amounts(shop)
        paid = item - discount
        paid_us = day_us + seconds * 10**6
        created_us = paid_us - np.minimum(rng.integers(5, 600, n), seconds) * 10**6
        order_no = self.next_order + np.arange(n)
        self.next_order += n
        base = {
            "order_no": order_no, "buyer": b, "shop": shop, "streamer": streamer,
            "session": session, "product": product, "category": category, "quantity": quantity,
            "item_cents": item, "discount_cents": discount, "paid_cents": paid,
            "refund_cents": np.zeros(n, dtype=np.int64), "status": np.zeros(n, dtype=np.int8),
            "entry_point": entry, "created_us": created_us, "paid_us": paid_us,
            "updated_us": paid_us,
        }  # fmt: skip
        self.pending_versions[i].append(base)
        month = (self.start + timedelta(days=i)).replace(day=1).isoformat()
        self.planted_gmv_cents[month] += int(paid.sum())
        refunded = rng.random(n) < cal.refund_rate
        full = rng.random(n) < cal.full_refund_share
        delay = np.where(refunded, rng.integers(cal.refund_delay_days[0],
                                                cal.refund_delay_days[1] + 1, n),
                         rng.integers(cal.completion_delay_days[0],
                                      cal.completion_delay_days[1] + 1, n))  # fmt: skip
        refund = np.where(refunded, np.where(full, paid, (paid * rng.uniform(0.1, 0.9, n))
                                             .astype(np.int64)), 0)  # fmt: skip
        later_us = day_us + delay * DAY_SECONDS * 10**6 + self._times_of_day(n) * 10**6
        status = np.where(refunded & full, 2, 1).astype(np.int8)
        for d in np.unique(delay):
            if i + d >= self.days:
                continue  # not exported yet when the simulated range ends
            rows = delay == d
            version = {name: values[rows] for name, values in base.items()}
            version.update(refund_cents=refund[rows], status=status[rows],
                           updated_us=later_us[rows])  # fmt: skip
            self.pending_versions[i + int(d)].append(version)

    def _cancelled_orders(self, i: int, day_us: int, month: dict) -> None:
        rng = self.rng
        b = month["cancelled_buyers"][month["cancelled_days"] == i]
        n = b.size
        if n == 0:
            return
        streamer = np.where(rng.random(n) < 0.5, self._pick(self.streamer_cum, n), -1)
        shop = self._pick(self.shop_cum, n)
        category, quantity, item, discount, product = self._amounts(shop)
        created_us = day_us + self._times_of_day(n) * 10**6
        order_no = self.next_order + np.arange(n)
        self.next_order += n
        self.pending_versions[i].append({
            "order_no": order_no, "buyer": b, "shop": shop, "streamer": streamer,
            "session": np.full(n, -1), "product": product, "category": category,
            "quantity": quantity, "item_cents": item, "discount_cents": discount,
            "paid_cents": np.full(n, -1), "refund_cents": np.zeros(n, dtype=np.int64),
            "status": np.full(n, 3, dtype=np.int8),
            "entry_point": np.where(streamer >= 0, 4, 5),
            "created_us": created_us, "paid_us": np.full(n, -1),
            "updated_us": np.minimum(created_us + rng.integers(60, 3600, n) * 10**6,
                                     day_us + (DAY_SECONDS - 1) * 10**6),
        })  # fmt: skip

    def _write_orders(self, i: int, dt: date) -> None:
        chunks = self.pending_versions.pop(i, [])
        columns = {
            name: np.concatenate([c[name] for c in chunks]) if chunks else np.zeros(0, np.int64)
            for name in ORDER_FIELDS
        }
        self.writer.write("orders", dt, _table(columns), ORDERS_SQL)

    def _write_follows(self, dt: date, day_us: int, rows: list) -> None:
        if rows:
            buyer = np.concatenate([r[0] for r in rows])
            streamer = np.concatenate([r[1] for r in rows])
            at = np.concatenate([r[2] for r in rows])
            is_follow = np.concatenate([np.full(r[0].size, r[3]) for r in rows])
        else:
            buyer = streamer = at = np.zeros(0, np.int64)
            is_follow = np.zeros(0, bool)
        order = np.argsort(at, kind="stable")
        n = buyer.size
        columns = {
            "event_no": self.next_follow + np.arange(n), "buyer": buyer[order],
            "streamer": streamer[order], "is_follow": is_follow[order],
            "at_us": day_us + at[order] * 10**6,
        }  # fmt: skip
        self.next_follow += n
        self.writer.write("follows", dt, _table(columns), FOLLOWS_SQL)

    def _write_sessions(self, dt, day_us, live, s_start, s_end, session_no, session, b, private):
        rng = self.rng
        n = live.size
        slot = session - session_no[0] if n else session
        in_session = session >= 0
        buyers = np.bincount(slot[in_session], minlength=n)
        private_buyers = np.bincount(slot[in_session & private], minlength=n)
        reach = np.sqrt(self.followers0[live]) * rng.uniform(0.5, 2.0, n)
        viewers = (buyers * rng.uniform(20, 60, n) + reach).astype(np.int64) + buyers
        browsing = viewers - buyers
        follower_viewers = private_buyers + (browsing * rng.uniform(0.15, 0.45, n)).astype(np.int64)
        columns = {
            "session": session_no, "streamer": live, "started_us": day_us + s_start * 10**6,
            "ended_us": day_us + s_end * 10**6, "viewers": viewers,
            "follower_viewers": np.minimum(follower_viewers, viewers),
            "watch_seconds": (viewers * rng.uniform(60, 600, n)).astype(np.int64),
            "peak_concurrent": np.maximum(1, (viewers * rng.uniform(0.03, 0.15, n))).astype(
                np.int64),
            "interactions": (viewers * rng.uniform(0.2, 2.5, n)).astype(np.int64),
        }  # fmt: skip
        self.writer.write("livestream_sessions", dt, _table(columns), SESSIONS_SQL)

    def _write_streamers(self, dt: date, i: int) -> None:
        columns = {
            "streamer": np.arange(self.n_streamers), "shop": self.own_shop,
            "category": self.streamer_category,
            "follower_count": (self.followers0 * (1 + self.growth * i)).astype(np.int64),
            "created_us": self.streamer_created_us,
        }  # fmt: skip
        self.writer.write("streamers", dt, _table(columns), STREAMERS_SQL)

    def _initial_trust_card(self) -> None:
        """Rights held before the range: exported with the first day."""
        rng = self.rng
        held = rng.random((self.n_shops, len(TRUST_CARD_RIGHTS))) < 0.2
        held[:, TRUST_CARD_RIGHTS.index("return_shipping_comp")] = False  # planted separately
        shop, right = np.nonzero(held)
        self.initial_rights = (shop, right, -rng.integers(10, 400, shop.size))

    def _write_trust_card(self, dt: date, i: int, day_us: int) -> None:
        rng = self.rng
        shops, rights, offsets = [], [], []
        if i == 0:
            shop, right, days_before = self.initial_rights
            shops.append(shop)
            rights.append(right)
            offsets.append(days_before * DAY_SECONDS + rng.integers(0, DAY_SECONDS, shop.size))
        adopting = np.flatnonzero(self.right_from == i)
        shops.append(adopting)
        rights.append(np.full(adopting.size, TRUST_CARD_RIGHTS.index("return_shipping_comp")))
        offsets.append(self._times_of_day(adopting.size))
        shop = np.concatenate(shops)
        n = shop.size
        order = np.argsort(np.concatenate(offsets), kind="stable")
        columns = {
            "event_no": self.next_trust + np.arange(n), "shop": shop[order],
            "right_no": np.concatenate(rights)[order], "enabled": np.ones(n, dtype=bool),
            "at_us": day_us + np.concatenate(offsets)[order] * 10**6,
        }  # fmt: skip
        self.next_trust += n
        self.writer.write("trust_card_events", dt, _table(columns), TRUST_SQL)

    def _yearly(self, published: float) -> float:
        """Expected events a day for a published yearly count, scaled to this platform."""
        cal = self.cal
        return max(published * self.scale_to_platform, cal.min_yearly_events) / 365

    def _write_enforcement(self, dt, day_us, orders_today, live, s_start, s_end, session_no):
        """One day's governance actions; targets are numbers, rendered as ids by ACTIONS_SQL."""
        cal, rng = self.cal, self.rng
        parts: list[dict[str, np.ndarray]] = []

        def add(n, action_type, reason, target_type, target, at, **extra):
            row = {
                "action_type": action_type, "reason": reason, "target_type": target_type,
                "target": target, "at": at, "session": -1, "pinocchio": False, "gang": -1,
                "police_case": -1, "reporter": -1, "amount_cents": -1,
            }  # fmt: skip
            row.update(extra)
            parts.append({k: np.broadcast_to(v, n).astype(np.int64) for k, v in row.items()})

        def accounts(n):
            ids = self.next_account + np.arange(n)
            self.next_account += n
            return ids

        def during(k):
            """A moment inside session slot k (a live room's session today)."""
            return s_start[k] + (rng.random(k.size) * (s_end[k] - s_start[k])).astype(np.int64)

        # brushing interceptions: the intercepted order never reaches the orders export
        n = rng.poisson(orders_today * cal.brushing_per_order)
        on_order = rng.random(n) < 0.85
        numbers = np.where(on_order, self.next_action + np.arange(n), accounts(n))
        add(n, 0, 0, np.where(on_order, 0, 1), numbers, self._times_of_day(n))
        # reports, warnings (mostly false advertising, much of it under Pinocchio) and penalties
        for action_type, published in ((1, cal.reports_per_year), (2, cal.warnings_per_year),
                                       (3, cal.penalties_per_year)):  # fmt: skip
            n = rng.poisson(self._yearly(published))
            reason = rng.choice([2, 3, 1, 5], n, p=[0.55, 0.2, 0.1, 0.15])
            on_room = (rng.random(n) < 0.6) & (live.size > 0) & (action_type != 3)
            slot = rng.integers(0, max(live.size, 1), n)
            session = np.where(on_room, session_no[slot] if live.size else -1, -1)
            at = np.where(on_room, during(slot) if live.size else 0, self._times_of_day(n))
            reporter = rng.integers(0, max(self.n_buyers, 1), n) if action_type == 1 else -1
            penalty_amount = np.where(rng.random(n) < 0.5, rng.integers(500, 50_000, n) * 100, -1)
            add(
                n,
                action_type,
                reason,
                np.where(on_room, 4, 3),
                np.where(on_room, session, rng.integers(0, self.n_streamers, n)),
                at,
                session=session,
                pinocchio=(reason == 2) & (rng.random(n) < 0.8),
                reporter=reporter,
                amount_cents=penalty_amount if action_type == 3 else -1,
            )
        # live rooms banned for private-order risk
        banned = np.flatnonzero(rng.random(live.size) < cal.room_bans_per_session)
        add(banned.size, 4, 1, 4, session_no[banned], during(banned), session=session_no[banned])
        # a fraud gang's accounts cleared in one sweep; police referrals, mostly of the last gang
        if rng.random() < self._yearly(cal.gangs_per_year):
            gang = self.next_gang
            self.next_gang += 1
            members = accounts(int(rng.integers(*cal.accounts_per_gang, endpoint=True)))
            self.gang_accounts = (gang, members)
            sweep = int(self._times_of_day(1)[0])
            add(
                members.size,
                5,
                4,
                1,
                members,
                np.minimum(sweep + np.arange(members.size), DAY_SECONDS - 1),
                gang=gang,
            )
        if rng.random() < self._yearly(cal.police_cases_per_year):
            case = self.next_case
            self.next_case += 1
            n = int(rng.integers(*cal.referrals_per_case, endpoint=True))
            amount = rng.integers(*cal.referral_amount_cny, n) * 100
            if self.gang_accounts:
                gang, members = self.gang_accounts
                add(
                    n,
                    6,
                    4,
                    1,
                    rng.choice(members, n),
                    self._times_of_day(n),
                    gang=gang,
                    police_case=case,
                    amount_cents=amount,
                )
            else:
                add(
                    n,
                    6,
                    3,
                    2,
                    rng.integers(0, self.n_shops, n),
                    self._times_of_day(n),
                    police_case=case,
                    amount_cents=amount,
                )
        columns = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        order = np.argsort(columns["at"], kind="stable")
        columns = {k: v[order] for k, v in columns.items()}
        columns["pinocchio"] = columns["pinocchio"].astype(bool)
        columns["at_us"] = day_us + columns.pop("at") * 10**6
        columns["action_no"] = self.next_action + np.arange(order.size)
        self.next_action += order.size
        self.writer.write("enforcement_actions", dt, _table(columns), ACTIONS_SQL)

    # -- planted truth -------------------------------------------------------------------------

    def manifest(self) -> dict:
        tier_weight = np.bincount(self.tier, weights=np.diff(np.r_[0, self.streamer_cum]),
                                  minlength=5)  # fmt: skip
        return {
            "simulator": "orchestration.simulation.calibrated",
            "seed": self.seed,
            "start": self.start.isoformat(),
            "days": self.days,
            "orders_requested": self.target_orders,
            "calibration": asdict(self.cal),
            "world": {
                "streamers": self.n_streamers,
                "shops": self.n_shops,
                "streamers_by_tier": dict(
                    zip(TIER_NAMES, np.bincount(self.tier, minlength=5).tolist(), strict=True)
                ),  # fmt: skip
                "streamer_order_share_by_tier": dict(
                    zip(TIER_NAMES, (tier_weight / tier_weight.sum()).tolist(), strict=True)
                ),
                "shops_adopting_return_shipping_comp": int((self.right_from < self.days).sum()),
            },
            "months": self.months,
            "gmv_by_month": {
                m: f"{c // 100}.{c % 100:02d}" for m, c in sorted(self.planted_gmv_cents.items())
            },  # fmt: skip
            "totals": {
                "counted_orders": self.counted_orders,
                "orders_including_cancelled": self.next_order - 1,
                "buyers": self.n_buyers,
                "sessions": self.next_session - 1,
            },
        }

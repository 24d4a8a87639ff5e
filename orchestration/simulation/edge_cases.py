"""Deterministic simulator of a live-commerce platform that writes the landing zone.

It produces the six sources of the landing contract (LANDING.md) as one platform would
export them, day by day, in mixed file formats, with enough structure to exercise every metric:
fan tiers, distribution sales, point-in-time follows, order versions with refunds, festival
peaks, trust-card rights and every kind of enforcement action. The data is clean: every row
satisfies the contract.

Determinism: every random draw comes from a `random.Random` seeded from `seed` (never the
global generator, never the clock), sets are never iterated, and no transcendental float
functions are used (their last bit may differ between C libraries), so the same arguments give
byte-identical files. Gzip headers carry no mtime.
"""

from __future__ import annotations

import bisect
import csv
import gzip
import io
import json
import math
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.landing.contract import LANDING_FILE_SUFFIXES, TRUST_CARD_RIGHTS
from orchestration.landing.contract import SOURCES as CONTRACT

__all__ = ["SOURCES", "SimulationSummary", "simulate"]

SOURCES = tuple(CONTRACT)
LANDING_SUFFIXES = LANDING_FILE_SUFFIXES
BEIJING = timezone(timedelta(hours=8))
DAY = timedelta(days=1)

# World size (fixed) and daily volumes (multiplied by `scale`).
N_SHOPS = 110
N_SHOP_OWNERS = 100  # streamers with their own shop; the remaining streamers only distribute
BUYERS = 6000
LIVE_ORDERS_PER_DAY = 290
SHORT_VIDEO_ORDERS_PER_DAY = 60
SHOP_ORDERS_PER_DAY = 110
FOLLOWS_PER_DAY = 140
UNFOLLOWS_PER_DAY = 14
REFOLLOWS_PER_DAY = 4
BRUSHING_PER_DAY = 150
REPORTS_PER_DAY = 25

# (lowest, highest, streamers): follower counts per fan tier; most sit in 10k-1M.
FAN_TIERS = (
    (800, 9_999, 15),
    (10_000, 99_999, 50),
    (100_000, 999_999, 62),
    (1_000_000, 9_999_999, 17),
    (10_000_000, 40_000_000, 6),
)
# category -> list price range in whole yuan
CATEGORIES = {
    "美妆": (29, 399),
    "apparel": (39, 599),
    "food": (9, 129),
    "home": (19, 299),
    "electronics": (99, 2999),
    "jewelry": (59, 1999),
    "mother_baby": (19, 499),
}
RIGHTS = TRUST_CARD_RIGHTS
HOUR_WEIGHTS = (3, 2, 1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 6, 5, 5, 5, 5, 6, 7, 9, 11, 12, 12, 8)
# live sessions start between 10:00 and 23:59, mostly in the evening
SESSION_HOUR_WEIGHTS = (0,) * 10 + (2, 2, 2, 3, 3, 3, 2, 2, 4, 8, 10, 9, 6, 3)
FOLLOWER_ENTRY = {"follow_feed": 60, "fan_group": 25, "discovery_feed": 15}
PUBLIC_LIVE_ENTRY = {"discovery_feed": 55, "search": 12, "short_video": 18, "other": 15}
SHOP_ENTRY = {"shop_page": 50, "search": 40, "other": 10}
_REASONS = {"false_advertising": 50, "counterfeit": 20, "private_order": 15, "other": 15}
GOVERNANCE_REASONS = {
    "user_report": _REASONS,
    "warning": _REASONS,
    "penalty": {"counterfeit": 35, "false_advertising": 35, "order_brushing": 15,
                "private_order": 10, "other": 5},
}  # fmt: skip
CITIES = ("上海市浦东新区", "北京市朝阳区", "广州市天河区", "成都市武侯区", "杭州市西湖区")

ORDER_COLUMNS = CONTRACT["orders"].column_names
SESSION_COLUMNS = CONTRACT["livestream_sessions"].column_names
STREAMER_COLUMNS = CONTRACT["streamers"].column_names
ACTION_COLUMNS = CONTRACT["enforcement_actions"].column_names
_TS = pa.timestamp("us", tz="Asia/Shanghai")
_MONEY = pa.decimal128(18, 2)
ORDER_SCHEMA = pa.schema(
    [(name, pa.string()) for name in ORDER_COLUMNS[:7]]
    + [("quantity", pa.int32())]
    + [(name, _MONEY) for name in ORDER_COLUMNS[8:12]]
    + [("status", pa.string()), ("entry_point", pa.string())]
    + [(name, _TS) for name in ("created_at", "paid_at", "updated_at")]
    + [("receiver_phone", pa.string()), ("receiver_address", pa.string())]
)


@dataclass(frozen=True)
class SimulationSummary:
    landing_dir: Path
    start: date
    days: int
    seed: int
    files_written: int
    rows_written: dict[str, int]  # per source name


@dataclass(frozen=True)
class _Streamer:
    streamer_id: str
    shop_id: str | None
    category: str
    follower_count: int
    daily_growth: float
    created_at: datetime
    sessions_per_week: float
    partner_shops: tuple[str, ...]  # shops whose goods it sells besides its own


@dataclass(frozen=True)
class _Product:
    product_id: str
    shop_id: str
    category: str
    price_cents: int


@dataclass(frozen=True)
class _Buyer:
    buyer_id: str
    arrival_day: int  # first day index on which the buyer may order
    phone: str
    address: str


@dataclass(frozen=True)
class _World:
    streamers: tuple[_Streamer, ...]
    streamer_cum: tuple[float, ...]  # cumulative popularity weights
    streamer_index: dict[str, int]
    shops: tuple[str, ...]
    shop_cum: tuple[float, ...]
    products: dict[str, tuple[_Product, ...]]
    buyers: tuple[_Buyer, ...]  # sorted by arrival_day, so active buyers are a prefix
    buyer_index: dict[str, int]
    buyer_cum: tuple[float, ...]  # cumulative activity weights
    arrivals: tuple[int, ...]


@dataclass(frozen=True)
class _Session:
    session_id: str
    streamer: _Streamer
    started_at: datetime
    ended_at: datetime
    viewers: int
    follower_viewers: int
    watch_seconds: int
    peak_concurrent: int
    interactions: int
    expected_orders: float


@dataclass(frozen=True)
class _Order:
    order_id: str
    buyer: _Buyer
    shop_id: str
    streamer: _Streamer | None
    session_id: str | None
    product: _Product
    quantity: int
    item_cents: int
    discount_cents: int
    entry_point: str
    created_at: datetime


@dataclass(frozen=True)
class _Version:
    order: _Order
    status: str
    updated_at: datetime
    paid_cents: int | None
    paid_at: datetime | None
    refund_cents: int


@dataclass(frozen=True)
class _FollowEvent:
    at: datetime
    follower_id: str
    streamer_id: str
    event_type: str
    naive: bool  # rendered without offset (Asia/Shanghai by contract)


@dataclass(frozen=True)
class _TrustEvent:
    at: datetime
    shop_id: str
    right: str
    event_type: str


@dataclass(frozen=True)
class _Action:
    at: datetime
    action_type: str
    reason: str
    target_type: str
    target_id: str
    session_id: str | None = None
    campaign: str | None = None
    gang_id: str | None = None
    case_id: str | None = None
    reporter_id: str | None = None
    amount_cents: int | None = None


def simulate(
    landing_dir: Path, start: date, days: int, seed: int = 7, scale: float = 1.0
) -> SimulationSummary:
    """Write a deterministic simulated platform for `days` export dates from `start`.

    Re-running replaces the landing files of those partitions; no other partition is touched.
    """
    if days < 1:
        raise ValueError("days must be >= 1")
    if scale <= 0:
        raise ValueError("scale must be > 0")
    landing_dir = Path(landing_dir)
    world = _build_world(random.Random(f"{seed}:world"), start, scale)
    sessions = _simulate_sessions(random.Random(f"{seed}:sessions"), world, start, days, scale)
    trust = _simulate_trust_card(random.Random(f"{seed}:trust"), world, start, days)
    versions, follows = _simulate_commerce(
        random.Random(f"{seed}:commerce"), world, sessions, trust, start, days, scale
    )
    actions = _simulate_enforcement(
        random.Random(f"{seed}:enforcement"), world, sessions, start, days, scale
    )
    snapshots = _streamer_snapshots(random.Random(f"{seed}:streamers"), world, days)

    files = _render_files(start, days, versions, follows, sessions, snapshots, trust, actions)
    files_written = 0
    rows_written = dict.fromkeys(SOURCES, 0)
    for source in SOURCES:
        for i in range(days):
            part = landing_dir / source / f"dt={(start + i * DAY).isoformat()}"
            _clear_partition(part)
            for name, writer, rows in files.get((source, i), []):
                part.mkdir(parents=True, exist_ok=True)
                writer(part / name)
                files_written += 1
                rows_written[source] += rows
            if part.is_dir() and not any(part.iterdir()):
                part.rmdir()
    return SimulationSummary(landing_dir, start, days, seed, files_written, rows_written)


# ---------------------------------------------------------------------------------------------
# helpers


def _stoch_round(rng: random.Random, x: float) -> int:
    """Round x up or down at random so that the expectation is x."""
    whole = int(x)
    return whole + (1 if rng.random() < x - whole else 0)


def _cumulative(weights: Sequence[float]) -> tuple[float, ...]:
    total = 0.0
    out = []
    for w in weights:
        total += w
        out.append(total)
    return tuple(out)


def _pick(rng: random.Random, cum: Sequence[float], n: int | None = None) -> int:
    """Weighted index among the first n items, given cumulative weights."""
    hi = len(cum) if n is None else n
    r = rng.random() * cum[hi - 1]
    return min(bisect.bisect_right(cum, r, 0, hi), hi - 1)


def _weighted(rng: random.Random, options: dict[str, int]) -> str:
    keys = list(options)
    return rng.choices(keys, weights=[options[k] for k in keys])[0]


def _square(u: float) -> float:
    """Skews a uniform draw towards 0 (plain multiplication: bit-identical everywhere)."""
    return u * u


def _festival_multiplier(d: date) -> float:
    """616 and 116 shopping festivals: the day itself 2.8x, the days just before rising to it."""
    if d.month in (6, 11):
        return {13: 1.5, 14: 1.8, 15: 2.2, 16: 2.8}.get(d.day, 1.0)
    return 1.0


def _weekday_factor(d: date) -> float:
    return 1.1 if d.weekday() >= 5 else 1.0


def _random_time(rng: random.Random, day_start: datetime) -> datetime:
    hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
    return day_start + timedelta(hours=hour, seconds=rng.randrange(3600))


def _iso(ts: datetime) -> str:
    return ts.isoformat(timespec="seconds") + "+08:00"


def _money(cents: int | None) -> str:
    return "" if cents is None else f"{cents // 100}.{cents % 100:02d}"


def _decimal(cents: int | None) -> Decimal | None:
    return None if cents is None else Decimal(_money(cents))


def _aware(ts: datetime | None) -> datetime | None:
    return None if ts is None else ts.replace(tzinfo=BEIJING)


# ---------------------------------------------------------------------------------------------
# world


def _build_world(rng: random.Random, start: date, scale: float) -> _World:
    categories = list(CATEGORIES)
    shops = tuple(f"shop{n:04d}" for n in range(1, N_SHOPS + 1))
    shop_category = {shop: rng.choice(categories) for shop in shops}
    products: dict[str, tuple[_Product, ...]] = {}
    for n, shop in enumerate(shops, 1):
        items = []
        for k in range(1, rng.randint(5, 15) + 1):
            category = shop_category[shop] if rng.random() < 0.85 else rng.choice(categories)
            low, high = CATEGORIES[category]
            price = rng.randint(low, high) * 100 + rng.choice((0, 0, 90, 99))
            items.append(_Product(f"p{n:04d}{k:03d}", shop, category, price))
        products[shop] = tuple(items)
    shop_weights = [1 + 9 * _square(rng.random()) for _ in shops]

    follower_counts = []
    for low, high, count in FAN_TIERS:
        for _ in range(count):
            follower_counts.append(low + int((high - low) * _square(rng.random())))
    rng.shuffle(follower_counts)
    owners = rng.sample(range(len(follower_counts)), N_SHOP_OWNERS)
    own_shop = {streamer: shops[k] for k, streamer in enumerate(owners)}
    day0 = datetime.combine(start, time())
    streamers = []
    for n, followers in enumerate(follower_counts):
        shop_id = own_shop.get(n)
        category = shop_category[shop_id] if shop_id else rng.choice(categories)
        others = [shop for shop in shops if shop != shop_id]
        created = day0 - timedelta(days=rng.randint(200, 2500), seconds=rng.randrange(86400))
        streamers.append(
            _Streamer(
                streamer_id=f"s{n + 1:04d}",
                shop_id=shop_id,
                category=category,
                follower_count=followers,
                daily_growth=rng.uniform(-0.001, 0.004),
                created_at=created,
                sessions_per_week=_sessions_per_week(rng, followers),
                partner_shops=tuple(rng.sample(others, rng.randint(2, 3))),
            )
        )

    n_buyers = max(20, round(BUYERS * scale))
    numbers = list(range(1, n_buyers + 1))
    rng.shuffle(numbers)
    buyers = []
    for number in numbers:
        arrival = 0 if rng.random() < 0.45 else rng.randrange(90)
        phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
        address = f"{rng.choice(CITIES)}幸福路{rng.randint(1, 999)}号{rng.randint(1, 30)}栋"
        buyers.append(_Buyer(f"b{number:06d}", arrival, phone, address))
    buyers.sort(key=lambda b: (b.arrival_day, b.buyer_id))
    # heavy-tailed activity: a few buyers order very often, most now and then
    buyer_weights = [1 + 30 * _square(_square(rng.random())) for _ in buyers]

    return _World(
        streamers=tuple(streamers),
        streamer_cum=_cumulative([math.sqrt(s.follower_count) for s in streamers]),
        streamer_index={s.streamer_id: k for k, s in enumerate(streamers)},
        shops=shops,
        shop_cum=_cumulative(shop_weights),
        products=products,
        buyers=tuple(buyers),
        buyer_index={b.buyer_id: k for k, b in enumerate(buyers)},
        buyer_cum=_cumulative(buyer_weights),
        arrivals=tuple(b.arrival_day for b in buyers),
    )


def _sessions_per_week(rng: random.Random, followers: int) -> float:
    """Mid-tier (100k-1M) streamers are the professional sellers: they go live most often."""
    if 100_000 <= followers < 1_000_000:
        return rng.uniform(3.0, 7.0)
    return rng.uniform(1.5, 5.0)


def _streamer_snapshots(
    rng: random.Random, world: _World, days: int
) -> list[list[tuple[_Streamer, int]]]:
    counts = [s.follower_count for s in world.streamers]
    out = []
    for _ in range(days):
        out.append(list(zip(world.streamers, counts, strict=True)))
        counts = [
            max(0, int(c * (1 + s.daily_growth + rng.uniform(-0.002, 0.002))))
            for s, c in zip(world.streamers, counts, strict=True)
        ]
    return out


# ---------------------------------------------------------------------------------------------
# livestream sessions


def _live_order_factor(world: _World, scale: float) -> float:
    """Orders per viewer so that live rooms sell about LIVE_ORDERS_PER_DAY * scale a day."""
    expected = 0.0
    for s in world.streamers:
        mean_viewers = math.sqrt(s.follower_count) * 7 + 1025
        expected += s.sessions_per_week / 7 * mean_viewers
    return LIVE_ORDERS_PER_DAY * scale / expected


def _simulate_sessions(
    rng: random.Random, world: _World, start: date, days: int, scale: float
) -> list[_Session]:
    """Sessions that start and end inside the range (a session is exported when it ends)."""
    end = datetime.combine(start + days * DAY, time())
    factor = _live_order_factor(world, scale)
    drafts = []
    for i in range(days):
        d = start + i * DAY
        fest = _festival_multiplier(d)
        day_start = datetime.combine(d, time())
        for streamer in world.streamers:
            if rng.random() >= streamer.sessions_per_week / 7:
                continue
            hour = rng.choices(range(24), weights=SESSION_HOUR_WEIGHTS)[0]
            started = day_start + timedelta(hours=hour, seconds=rng.randrange(3600))
            minutes = rng.randint(60, 300) + (60 if fest > 1 else 0)
            ended = started + timedelta(minutes=minutes, seconds=rng.randrange(60))
            # reach grows slower than the fan base; public traffic comes on top
            base_viewers = int(math.sqrt(streamer.follower_count) * rng.uniform(2, 12))
            base_viewers += rng.randint(50, 2000)
            viewers = int(base_viewers * (1 + (fest - 1) / 2))
            draft = _Session(
                session_id="",
                streamer=streamer,
                started_at=started,
                ended_at=ended,
                viewers=viewers,
                follower_viewers=int(viewers * rng.uniform(0.2, 0.6)),
                watch_seconds=viewers * rng.randint(40, 400),
                peak_concurrent=max(1, int(viewers * rng.uniform(0.03, 0.15))),
                interactions=int(viewers * rng.uniform(0.2, 2.5)),
                expected_orders=factor * base_viewers * fest,
            )
            if ended < end:
                drafts.append(draft)
    drafts.sort(key=lambda s: (s.started_at, s.streamer.streamer_id))
    return [replace(s, session_id=f"sess{n:07d}") for n, s in enumerate(drafts, 1)]


# ---------------------------------------------------------------------------------------------
# trust card


def _simulate_trust_card(
    rng: random.Random, world: _World, start: date, days: int
) -> list[_TrustEvent]:
    """Historical enablements (exported on the first day) and a trickle of changes after."""
    day0 = datetime.combine(start, time())
    held: dict[str, list[str]] = {shop: [] for shop in world.shops}
    events = []
    for shop in world.shops:
        for right in RIGHTS:
            if rng.random() < 0.2:
                at = day0 - timedelta(days=rng.randint(10, 400), seconds=rng.randrange(86400))
                events.append(_TrustEvent(at, shop, right, "enabled"))
                held[shop].append(right)
    for i in range(days):
        day_start = day0 + i * DAY
        if rng.random() < 0.4:
            shop = rng.choice(world.shops)
            missing = [r for r in RIGHTS if r not in held[shop]]
            if missing:
                right = rng.choice(missing)
                events.append(_TrustEvent(_random_time(rng, day_start), shop, right, "enabled"))
                held[shop].append(right)
        if rng.random() < 0.06:
            holders = [shop for shop in world.shops if held[shop]]
            shop = rng.choice(holders)
            right = rng.choice(held[shop])
            events.append(_TrustEvent(_random_time(rng, day_start), shop, right, "disabled"))
            held[shop].remove(right)
    events.sort(key=lambda e: (e.at, e.shop_id, e.right))
    return events


# ---------------------------------------------------------------------------------------------
# follows and orders


class _FollowGraph:
    """Who follows whom now; indices are positions in world.buyers and world.streamers."""

    def __init__(self, n_streamers: int) -> None:
        self.followers: list[list[int]] = [[] for _ in range(n_streamers)]
        self._pos: dict[tuple[int, int], int] = {}
        self.ever: set[tuple[int, int]] = set()
        self.unfollowed: list[tuple[int, int]] = []

    def follows(self, buyer: int, streamer: int) -> bool:
        return (buyer, streamer) in self._pos

    def add(self, buyer: int, streamer: int) -> None:
        if (buyer, streamer) not in self._pos:
            self._pos[(buyer, streamer)] = len(self.followers[streamer])
            self.followers[streamer].append(buyer)
        self.ever.add((buyer, streamer))

    def remove(self, buyer: int, streamer: int) -> None:
        pos = self._pos.pop((buyer, streamer))
        members = self.followers[streamer]
        last = members.pop()
        if pos < len(members):
            members[pos] = last
            self._pos[(last, streamer)] = pos
        self.unfollowed.append((buyer, streamer))


class _Commerce:
    """Day-by-day simulation of follows and orders, sharing one follow graph."""

    def __init__(self, rng: random.Random, world: _World, scale: float) -> None:
        self.rng = rng
        self.world = world
        self.scale = scale
        self.graph = _FollowGraph(len(world.streamers))
        self.follows: list[_FollowEvent] = []
        self.versions: list[_Version] = []
        self.shop_history: dict[int, list[str]] = defaultdict(list)
        self.rights: dict[str, set[str]] = defaultdict(set)
        self.next_order = 1

    def follow_event(self, at: datetime, buyer: int, streamer: int, event_type: str) -> None:
        naive = self.rng.random() < 0.05
        self.follows.append(
            _FollowEvent(
                at,
                self.world.buyers[buyer].buyer_id,
                self.world.streamers[streamer].streamer_id,
                event_type,
                naive,
            )
        )
        if event_type == "follow":
            self.graph.add(buyer, streamer)
        elif self.graph.follows(buyer, streamer):
            self.graph.remove(buyer, streamer)
        else:
            self.graph.ever.add((buyer, streamer))

    def historical_follows(self, day0: datetime) -> None:
        rng, world = self.rng, self.world
        for buyer in range(len(world.buyers)):
            for _ in range(rng.choice((0, 1, 1, 2, 2, 3, 4, 6))):
                streamer = _pick(rng, world.streamer_cum)
                if self.graph.follows(buyer, streamer):
                    continue
                at = day0 - timedelta(days=rng.randint(1, 720), seconds=rng.randrange(86400))
                self.follow_event(at, buyer, streamer, "follow")
                if rng.random() < 0.06:
                    gone = at + (day0 - at) * rng.uniform(0.1, 0.9)
                    self.follow_event(gone.replace(microsecond=0), buyer, streamer, "unfollow")

    def organic_follows(self, day: int, day_start: datetime) -> None:
        rng, world, graph = self.rng, self.world, self.graph
        n_buyers = len(world.buyers)
        for _ in range(_stoch_round(rng, FOLLOWS_PER_DAY * self.scale)):
            buyer, streamer = rng.randrange(n_buyers), _pick(rng, world.streamer_cum)
            if graph.follows(buyer, streamer) and rng.random() > 0.05:
                continue  # only a few duplicate follow events
            self.follow_event(_random_time(rng, day_start), buyer, streamer, "follow")
        for _ in range(_stoch_round(rng, UNFOLLOWS_PER_DAY * self.scale)):
            streamer = _pick(rng, world.streamer_cum)
            members = graph.followers[streamer]
            if members:
                buyer = members[rng.randrange(len(members))]
                self.follow_event(_random_time(rng, day_start), buyer, streamer, "unfollow")
        for _ in range(_stoch_round(rng, REFOLLOWS_PER_DAY * self.scale)):
            if graph.unfollowed:
                buyer, streamer = rng.choice(graph.unfollowed)
                if not graph.follows(buyer, streamer):
                    self.follow_event(_random_time(rng, day_start), buyer, streamer, "follow")
        if rng.random() < 0.3:  # an unfollow with no prior follow (a lost event upstream)
            buyer, streamer = rng.randrange(n_buyers), rng.randrange(len(world.streamers))
            if (buyer, streamer) not in graph.ever:
                self.follow_event(_random_time(rng, day_start), buyer, streamer, "unfollow")

    def public_buyer(self, day: int) -> int:
        return _pick(self.rng, self.world.buyer_cum, bisect.bisect_right(self.world.arrivals, day))

    def active_follower(self, streamer: int, day: int) -> int | None:
        members = self.graph.followers[streamer]
        for _ in range(3):
            if not members:
                return None
            buyer = members[self.rng.randrange(len(members))]
            if self.world.arrivals[buyer] <= day:
                return buyer
        return None

    def seller_shop(self, streamer: _Streamer) -> str:
        if streamer.shop_id is not None and self.rng.random() < 0.8:
            return streamer.shop_id
        return self.rng.choice(streamer.partner_shops)  # distribution: someone else's goods

    def new_order(
        self,
        buyer: int,
        shop_id: str,
        streamer: _Streamer | None,
        session_id: str | None,
        entry_point: str,
        created_at: datetime,
    ) -> _Order:
        rng = self.rng
        product = rng.choice(self.world.products[shop_id])
        quantity = rng.choices((1, 2, 3, 4, 5), weights=(70, 18, 7, 3, 2))[0]
        item = product.price_cents * quantity
        discount = 0 if rng.random() < 0.5 else item * rng.randint(3, 30) // 100
        history = self.shop_history[buyer]
        if shop_id not in history:
            history.append(shop_id)
        return _Order(
            "",
            self.world.buyers[buyer],
            shop_id,
            streamer,
            session_id,
            product,
            quantity,
            item,
            discount,
            entry_point,
            created_at,
        )

    def live_orders(self, session: _Session, day: int) -> list[_Order]:
        rng = self.rng
        streamer = self.world.streamer_index[session.streamer.streamer_id]
        span = int((session.ended_at - session.started_at).total_seconds())
        orders = []
        for _ in range(_stoch_round(rng, session.expected_orders * rng.uniform(0.5, 1.5))):
            buyer = self.active_follower(streamer, day) if rng.random() < 0.6 else None
            if buyer is not None:
                entry = _weighted(rng, FOLLOWER_ENTRY)
            else:
                buyer, entry = self.public_buyer(day), _weighted(rng, PUBLIC_LIVE_ENTRY)
            created = session.started_at + timedelta(seconds=rng.randint(0, span))
            shop = self.seller_shop(session.streamer)
            orders.append(
                self.new_order(buyer, shop, session.streamer, session.session_id, entry, created)
            )
        return orders

    def short_video_order(self, day: int, day_start: datetime) -> _Order:
        rng = self.rng
        streamer = _pick(rng, self.world.streamer_cum)
        buyer = self.active_follower(streamer, day) if rng.random() < 0.45 else None
        entry = "short_video"
        if buyer is None:
            buyer = self.public_buyer(day)
        elif rng.random() < 0.5:
            entry = "follow_feed"
        st = self.world.streamers[streamer]
        created = _random_time(rng, day_start)
        return self.new_order(buyer, self.seller_shop(st), st, None, entry, created)

    def shop_order(self, day: int, day_start: datetime) -> _Order:
        """Shop page and search orders: no streamer; trust-card rights raise shop loyalty."""
        rng = self.rng
        buyer = self.public_buyer(day)
        history = self.shop_history[buyer]
        shop = None
        if history:
            candidate = rng.choice(history)
            rights = self.rights[candidate]
            loyalty = 0.35 + 0.25 * ("return_shipping_comp" in rights) + 0.04 * len(rights)
            if rng.random() < loyalty:
                shop = candidate
        if shop is None:
            shop = self.world.shops[_pick(rng, self.world.shop_cum)]
        entry = _weighted(rng, SHOP_ENTRY)
        return self.new_order(buyer, shop, None, None, entry, _random_time(rng, day_start))

    def order_versions(self, order: _Order) -> list[_Version]:
        """All versions of one order: created/paid, then fulfilment, refunds or cancellation."""
        rng = self.rng
        created = order.created_at
        first = _Version(order, "created", created, None, None, 0)
        if rng.random() < 0.05:  # never paid: cancelled later, paid_amount null or 0
            cancelled_at = created + timedelta(seconds=rng.randint(15 * 60, 30 * 3600))
            paid = None if rng.random() < 0.5 else 0
            return [first, _Version(order, "cancelled", cancelled_at, paid, None, 0)]
        paid_at = created + timedelta(seconds=rng.randint(3, 600))
        paid = order.item_cents - order.discount_cents
        versions = []
        if paid_at.date() != created.date() or rng.random() < 0.15:
            versions.append(first)
        versions.append(_Version(order, "paid", paid_at, paid, paid_at, 0))
        refunds: list[tuple[datetime, int]] = []
        if rng.random() < 0.08:
            refund_at = paid_at + timedelta(seconds=rng.randint(86400, 29 * 86400))
            if rng.random() < 0.3:  # partial, sometimes followed by a second partial refund
                part = max(1, paid * rng.randint(10, 60) // 100)
                refunds.append((refund_at, part))
                if rng.random() < 0.35:
                    later = refund_at + timedelta(seconds=rng.randint(3600, 86400))
                    refunds.append((later, part + (paid - part) * rng.randint(10, 100) // 100))
            else:
                refunds.append((refund_at, paid))
        shipped = paid_at + timedelta(seconds=rng.randint(4 * 3600, 72 * 3600))
        delivered = shipped + timedelta(seconds=rng.randint(20 * 3600, 96 * 3600))
        completed = delivered + timedelta(seconds=rng.randint(7 * 86400, 8 * 86400))
        fulfilment = (("shipped", shipped), ("delivered", delivered), ("completed", completed))
        for status, at in fulfilment:
            if not refunds or at < refunds[0][0]:
                versions.append(_Version(order, status, at, paid, paid_at, 0))
        for at, cumulative in refunds:
            versions.append(_Version(order, "refunded", at, paid, paid_at, cumulative))
        return versions


def _simulate_commerce(
    rng: random.Random,
    world: _World,
    sessions: list[_Session],
    trust: list[_TrustEvent],
    start: date,
    days: int,
    scale: float,
) -> tuple[list[_Version], list[_FollowEvent]]:
    sim = _Commerce(rng, world, scale)
    day0 = datetime.combine(start, time())
    sim.historical_follows(day0)
    by_day: dict[date, list[_Session]] = defaultdict(list)
    for session in sessions:
        by_day[session.started_at.date()].append(session)
    trust_pos = 0
    for i in range(days):
        d = start + i * DAY
        day_start = day0 + i * DAY
        while trust_pos < len(trust) and trust[trust_pos].at < day_start:
            event = trust[trust_pos]
            rights = sim.rights[event.shop_id]
            if event.event_type == "enabled":
                rights.add(event.right)
            else:
                rights.discard(event.right)
            trust_pos += 1
        volume = scale * _festival_multiplier(d) * _weekday_factor(d)
        orders: list[_Order] = []
        for session in by_day[d]:
            orders.extend(sim.live_orders(session, i))
        for _ in range(_stoch_round(rng, SHORT_VIDEO_ORDERS_PER_DAY * volume)):
            orders.append(sim.short_video_order(i, day_start))
        for _ in range(_stoch_round(rng, SHOP_ORDERS_PER_DAY * volume)):
            orders.append(sim.shop_order(i, day_start))
        ranked = sorted(enumerate(orders), key=lambda pair: (pair[1].created_at, pair[0]))
        for _, order in ranked:
            order = replace(order, order_id=f"o{sim.next_order:08d}")
            sim.next_order += 1
            versions = sim.order_versions(order)
            sim.versions.extend(versions)
            paid_at = versions[-1].paid_at
            if order.streamer is not None and paid_at is not None and rng.random() < 0.12:
                buyer = world.buyer_index[order.buyer.buyer_id]
                streamer = world.streamer_index[order.streamer.streamer_id]
                if not sim.graph.follows(buyer, streamer):  # follows right after buying
                    at = paid_at + timedelta(seconds=rng.randint(60, 5400))
                    sim.follow_event(at, buyer, streamer, "follow")
        sim.organic_follows(i, day_start)
    return sim.versions, sim.follows


# ---------------------------------------------------------------------------------------------
# enforcement


class _Enforcement:
    """One day at a time; ids of accounts, gangs and cases are allocated from counters."""

    def __init__(self, rng: random.Random, world: _World) -> None:
        self.rng = rng
        self.world = world
        self.actions: list[_Action] = []
        self.accounts = 0
        self.intercepted = 0
        self.gangs: list[tuple[str, list[str]]] = []
        self.cases = 0

    def new_account(self) -> str:
        self.accounts += 1
        return f"acct{self.accounts:06d}"

    def during(self, session: _Session) -> datetime:
        span = int((session.ended_at - session.started_at).total_seconds())
        return session.started_at + timedelta(seconds=self.rng.randint(0, span))

    def governance_target(
        self, sessions: list[_Session], day_start: datetime, live_share: float
    ) -> tuple[datetime, str, str, str | None]:
        """A live room (during its session), a streamer or a shop: (at, type, id, session)."""
        rng = self.rng
        r = rng.random()
        if sessions and r < live_share:
            session = rng.choice(sessions)
            return self.during(session), "live_room", session.session_id, session.session_id
        at = _random_time(rng, day_start)
        if r < live_share + (1 - live_share) / 2:
            return at, "streamer", rng.choice(self.world.streamers).streamer_id, None
        return at, "shop", rng.choice(self.world.shops), None

    def brushing(self, day_start: datetime, count: int) -> None:
        for _ in range(count):
            at = _random_time(self.rng, day_start)
            if self.rng.random() < 0.85:  # an intercepted order never reaches the orders export
                self.intercepted += 1
                target_type, target_id = "order", f"o9{self.intercepted:07d}"
            else:
                target_type, target_id = "account", self.new_account()
            self.actions.append(
                _Action(at, "brushing_intercept", "order_brushing", target_type, target_id)
            )

    def governance(
        self, action_type: str, sessions: list[_Session], day_start: datetime, count: int
    ) -> None:
        """User reports, warnings and penalties; false advertising mostly under Pinocchio."""
        rng = self.rng
        live_share = {"user_report": 0.6, "warning": 0.4, "penalty": 0.0}[action_type]
        for _ in range(count):
            at, target_type, target_id, session_id = self.governance_target(
                sessions, day_start, live_share
            )
            reason = _weighted(rng, GOVERNANCE_REASONS[action_type])
            pinocchio = reason == "false_advertising" and rng.random() < 0.8
            reporter = None
            if action_type == "user_report":
                reporter = rng.choice(self.world.buyers).buyer_id
            amount = None
            if action_type == "penalty" and rng.random() < 0.5:
                amount = rng.randint(500, 50_000) * 100
            self.actions.append(
                _Action(
                    at,
                    action_type,
                    reason,
                    target_type,
                    target_id,
                    session_id=session_id,
                    campaign="pinocchio" if pinocchio else None,
                    reporter_id=reporter,
                    amount_cents=amount,
                )
            )

    def room_bans(self, sessions: list[_Session], count: int) -> None:
        for session in self.rng.sample(sessions, min(len(sessions), count)):
            self.actions.append(
                _Action(
                    self.during(session),
                    "room_ban",
                    "private_order",
                    "live_room",
                    session.session_id,
                    session_id=session.session_id,
                )
            )

    def gang_sweep(self, day_start: datetime) -> None:
        """A fraud gang's accounts are cleared in one sweep."""
        gang_id = f"gang{len(self.gangs) + 1:03d}"
        members = [self.new_account() for _ in range(self.rng.randint(20, 150))]
        self.gangs.append((gang_id, members))
        sweep = _random_time(self.rng, day_start)
        for k, account in enumerate(members):
            at = sweep + timedelta(seconds=k)
            self.actions.append(
                _Action(at, "account_clearance", "gang_fraud", "account", account, gang_id=gang_id)
            )

    def police_case(self, day_start: datetime) -> None:
        """A law-enforcement case with a few referrals, mostly members of the last gang."""
        rng = self.rng
        self.cases += 1
        case_id = f"case{self.cases:04d}"
        for _ in range(rng.randint(1, 4)):
            at = _random_time(rng, day_start)
            amount = rng.randint(10_000, 3_000_000) * 100
            if self.gangs and rng.random() < 0.7:
                gang_id, members = self.gangs[-1]
                action = _Action(
                    at, "police_referral", "gang_fraud", "account", rng.choice(members),
                    gang_id=gang_id, case_id=case_id, amount_cents=amount,
                )  # fmt: skip
            else:
                action = _Action(
                    at, "police_referral", "counterfeit", "shop", rng.choice(self.world.shops),
                    case_id=case_id, amount_cents=amount,
                )  # fmt: skip
            self.actions.append(action)

    def day(self, i: int, day_start: datetime, sessions: list[_Session], scale: float) -> None:
        rng = self.rng
        fest = _festival_multiplier(day_start.date())
        self.brushing(day_start, max(1, _stoch_round(rng, BRUSHING_PER_DAY * scale * fest)))
        reports = max(1, _stoch_round(rng, REPORTS_PER_DAY * scale))
        self.governance("user_report", sessions, day_start, reports)
        self.governance("warning", sessions, day_start, _stoch_round(rng, 6.0))
        self.governance("penalty", sessions, day_start, max(1, _stoch_round(rng, 1.5)))
        self.room_bans(sessions, _stoch_round(rng, 4.0))
        # rare actions on a fixed rhythm, so that even a few days' run holds every action type
        if i % 6 == 2:
            self.gang_sweep(day_start)
        if i % 9 == 3:
            self.police_case(day_start)


def _simulate_enforcement(
    rng: random.Random,
    world: _World,
    sessions: list[_Session],
    start: date,
    days: int,
    scale: float,
) -> list[_Action]:
    by_day: dict[date, list[_Session]] = defaultdict(list)
    for session in sessions:
        by_day[session.started_at.date()].append(session)
    sim = _Enforcement(rng, world)
    day0 = datetime.combine(start, time())
    for i in range(days):
        sim.day(i, day0 + i * DAY, by_day[start + i * DAY], scale)
    return sorted(sim.actions, key=lambda a: a.at)  # stable: ties keep generation order


# ---------------------------------------------------------------------------------------------
# rendering and writing

_Writer = tuple[str, Callable[[Path], None], int]  # (file name, write(path), rows)


def _clear_partition(part: Path) -> None:
    """Remove the landing files of a partition about to be rewritten: re-runs never add files."""
    if part.is_dir():
        for path in sorted(part.iterdir()):
            if path.is_file() and path.name.endswith(LANDING_SUFFIXES):
                path.unlink()


def _csv_writer(
    header: Sequence[str], rows: list[list[str]], gz: bool = False
) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        buf = io.StringIO()
        out = csv.writer(buf, lineterminator="\n")
        out.writerow(header)
        out.writerows(rows)
        data = buf.getvalue().encode("utf-8")
        path.write_bytes(gzip.compress(data, mtime=0) if gz else data)

    return write


def _jsonl_writer(rows: list[dict[str, object]], gz: bool = False) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        data = text.encode("utf-8")
        path.write_bytes(gzip.compress(data, mtime=0) if gz else data)

    return write


def _parquet_writer(versions: list[_Version]) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        columns: dict[str, list[object]] = {name: [] for name in ORDER_COLUMNS}
        for v in versions:
            o = v.order
            values = (
                o.order_id,
                o.buyer.buyer_id,
                o.shop_id,
                o.streamer.streamer_id if o.streamer else None,
                o.session_id,
                o.product.product_id,
                o.product.category,
                o.quantity,
                _decimal(o.item_cents),
                _decimal(o.discount_cents),
                _decimal(v.paid_cents),
                _decimal(v.refund_cents),
                v.status,
                o.entry_point,
                _aware(o.created_at),
                _aware(v.paid_at),
                _aware(v.updated_at),
                o.buyer.phone,
                o.buyer.address,
            )
            for name, value in zip(ORDER_COLUMNS, values, strict=True):
                columns[name].append(value)
        table = pa.table(
            [pa.array(columns[f.name], type=f.type) for f in ORDER_SCHEMA], schema=ORDER_SCHEMA
        )
        pq.write_table(table, path, compression="snappy")

    return write


def _order_text_row(v: _Version) -> list[str]:
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
        _money(o.item_cents),
        _money(o.discount_cents),
        _money(v.paid_cents),
        _money(v.refund_cents),
        v.status,
        o.entry_point,
        _iso(o.created_at),
        _iso(v.paid_at) if v.paid_at else "",
        _iso(v.updated_at),
        o.buyer.phone,
        o.buyer.address,
    ]


def _action_text_row(action_id: str, a: _Action) -> list[str]:
    return [
        action_id,
        _iso(a.at),
        a.action_type,
        a.reason,
        a.target_type,
        a.target_id,
        a.session_id or "",
        a.campaign or "",
        a.gang_id or "",
        a.case_id or "",
        a.reporter_id or "",
        _money(a.amount_cents),
    ]


def _render_files(
    start: date,
    days: int,
    versions: list[_Version],
    follows: list[_FollowEvent],
    sessions: list[_Session],
    snapshots: list[list[tuple[_Streamer, int]]],
    trust: list[_TrustEvent],
    actions: list[_Action],
) -> dict[tuple[str, int], list[_Writer]]:
    """Group records by (source, export-day index); records dated before start go to day 0."""

    def day_of(ts: datetime) -> int | None:
        i = max(0, (ts.date() - start).days)
        return i if i < days else None

    files: dict[tuple[str, int], list[_Writer]] = defaultdict(list)

    order_days: dict[int, list[_Version]] = defaultdict(list)
    for v in versions:
        i = day_of(v.updated_at)
        if i is not None:
            order_days[i].append(v)
    for i, rows in sorted(order_days.items()):
        rows.sort(key=lambda v: (v.updated_at, v.order.order_id))
        in_parquet, in_csv = rows[0::2], rows[1::2]
        writer = _parquet_writer(in_parquet)
        files[("orders", i)].append(("part-0.parquet", writer, len(in_parquet)))
        if in_csv:
            text = [_order_text_row(v) for v in in_csv]
            files[("orders", i)].append(("part-1.csv", _csv_writer(ORDER_COLUMNS, text), len(text)))

    follow_days: dict[int, list[dict[str, object]]] = defaultdict(list)
    ordered = sorted(follows, key=lambda e: e.at)  # stable: ties keep generation order
    for n, e in enumerate(ordered, 1):
        i = day_of(e.at)
        if i is not None:
            at = e.at.isoformat(sep=" ", timespec="seconds") if e.naive else _iso(e.at)
            follow_days[i].append(
                {
                    "event_id": f"f{n:08d}",
                    "follower_id": e.follower_id,
                    "streamer_id": e.streamer_id,
                    "event_type": e.event_type,
                    "event_at": at,
                }
            )
    for i, rows in follow_days.items():
        files[("follows", i)].append(("follows.jsonl", _jsonl_writer(rows), len(rows)))

    session_days: dict[int, list[list[str]]] = defaultdict(list)
    for s in sessions:
        i = day_of(s.ended_at)
        if i is not None:
            session_days[i].append(
                [
                    s.session_id,
                    s.streamer.streamer_id,
                    _iso(s.started_at),
                    _iso(s.ended_at),
                    str(s.viewers),
                    str(s.follower_viewers),
                    str(s.watch_seconds),
                    str(s.peak_concurrent),
                    str(s.interactions),
                ]
            )
    for i, rows in session_days.items():
        writer = _csv_writer(SESSION_COLUMNS, rows)
        files[("livestream_sessions", i)].append(("sessions.csv", writer, len(rows)))

    for i, snapshot in enumerate(snapshots):
        rows = [
            [st.streamer_id, st.shop_id or "", st.category, str(count), _iso(st.created_at)]
            for st, count in snapshot
        ]
        writer = _csv_writer(STREAMER_COLUMNS, rows, gz=True)
        files[("streamers", i)].append(("streamers.csv.gz", writer, len(rows)))

    trust_days: dict[int, list[dict[str, object]]] = defaultdict(list)
    for n, t in enumerate(trust, 1):
        i = day_of(t.at)
        if i is not None:
            trust_days[i].append(
                {
                    "event_id": f"tc{n:06d}",
                    "shop_id": t.shop_id,
                    "right": t.right,
                    "event_type": t.event_type,
                    "event_at": _iso(t.at),
                }
            )
    for i, rows in trust_days.items():
        writer = _jsonl_writer(rows, gz=True)
        files[("trust_card_events", i)].append(("events.jsonl.gz", writer, len(rows)))

    action_days: dict[int, list[list[str]]] = defaultdict(list)
    for n, a in enumerate(actions, 1):
        i = day_of(a.at)
        if i is not None:
            action_days[i].append(_action_text_row(f"act{n:08d}", a))
    for i, rows in action_days.items():
        writer = _csv_writer(ACTION_COLUMNS, rows)
        files[("enforcement_actions", i)].append(("actions.csv", writer, len(rows)))
    return files

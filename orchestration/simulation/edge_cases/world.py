"""The fixed world of the edge-case platform: shops and products, streamers, buyers."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from orchestration.simulation.edge_cases.draws import cumulative, square
from orchestration.simulation.vocabulary import CATEGORY

# World size: fixed, except the number of buyers, which `scale` multiplies.
N_SHOPS = 110
N_SHOP_OWNERS = 100  # streamers with their own shop; the remaining streamers only distribute
BUYERS = 6000

# (lowest, highest, streamers): follower counts per fan tier; most sit in 10k-1M.
FAN_TIERS = (
    (800, 9_999, 15),
    (10_000, 99_999, 50),
    (100_000, 999_999, 62),
    (1_000_000, 9_999_999, 17),
    (10_000_000, 40_000_000, 6),
)
# list price range in whole yuan, per category
PRICE_RANGE_YUAN = dict(
    zip(
        CATEGORY.values,
        ((29, 399), (39, 599), (9, 129), (19, 299), (99, 2999), (59, 1999), (19, 499)),
        strict=True,
    )
)
CITIES = ("上海市浦东新区", "北京市朝阳区", "广州市天河区", "成都市武侯区", "杭州市西湖区")


@dataclass(frozen=True)
class Streamer:
    streamer_id: str
    shop_id: str | None
    category: str
    follower_count: int
    daily_growth: float
    created_at: datetime
    sessions_per_week: float
    partner_shops: tuple[str, ...]  # shops whose goods it sells besides its own


@dataclass(frozen=True)
class Product:
    product_id: str
    shop_id: str
    category: str
    price_cents: int


@dataclass(frozen=True)
class Buyer:
    buyer_id: str
    arrival_day: int  # first day index on which the buyer may order
    phone: str
    address: str


@dataclass(frozen=True)
class World:
    streamers: tuple[Streamer, ...]
    streamer_cum: tuple[float, ...]  # cumulative popularity weights
    streamer_index: dict[str, int]
    shops: tuple[str, ...]
    shop_cum: tuple[float, ...]
    products: dict[str, tuple[Product, ...]]
    buyers: tuple[Buyer, ...]  # sorted by arrival_day, so active buyers are a prefix
    buyer_index: dict[str, int]
    buyer_cum: tuple[float, ...]  # cumulative activity weights
    arrivals: tuple[int, ...]


def build_world(rng: random.Random, start: date, scale: float) -> World:
    categories = list(CATEGORY.values)
    shops = tuple(f"shop{n:04d}" for n in range(1, N_SHOPS + 1))
    shop_category = {shop: rng.choice(categories) for shop in shops}
    products: dict[str, tuple[Product, ...]] = {}
    for n, shop in enumerate(shops, 1):
        items = []
        for k in range(1, rng.randint(5, 15) + 1):
            category = shop_category[shop] if rng.random() < 0.85 else rng.choice(categories)
            low, high = PRICE_RANGE_YUAN[category]
            price = rng.randint(low, high) * 100 + rng.choice((0, 0, 90, 99))
            items.append(Product(f"p{n:04d}{k:03d}", shop, category, price))
        products[shop] = tuple(items)
    shop_weights = [1 + 9 * square(rng.random()) for _ in shops]

    follower_counts = []
    for low, high, count in FAN_TIERS:
        for _ in range(count):
            follower_counts.append(low + int((high - low) * square(rng.random())))
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
            Streamer(
                streamer_id=f"s{n + 1:04d}",
                shop_id=shop_id,
                category=category,
                follower_count=followers,
                daily_growth=rng.uniform(-0.001, 0.004),
                created_at=created,
                sessions_per_week=sessions_per_week(rng, followers),
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
        buyers.append(Buyer(f"b{number:06d}", arrival, phone, address))
    buyers.sort(key=lambda b: (b.arrival_day, b.buyer_id))
    # heavy-tailed activity: a few buyers order very often, most now and then
    buyer_weights = [1 + 30 * square(square(rng.random())) for _ in buyers]

    return World(
        streamers=tuple(streamers),
        streamer_cum=cumulative([math.sqrt(s.follower_count) for s in streamers]),
        streamer_index={s.streamer_id: k for k, s in enumerate(streamers)},
        shops=shops,
        shop_cum=cumulative(shop_weights),
        products=products,
        buyers=tuple(buyers),
        buyer_index={b.buyer_id: k for k, b in enumerate(buyers)},
        buyer_cum=cumulative(buyer_weights),
        arrivals=tuple(b.arrival_day for b in buyers),
    )


def sessions_per_week(rng: random.Random, followers: int) -> float:
    """Mid-tier (100k-1M) streamers are the professional sellers: they go live most often."""
    if 100_000 <= followers < 1_000_000:
        return rng.uniform(3.0, 7.0)
    return rng.uniform(1.5, 5.0)


def streamer_snapshots(
    rng: random.Random, world: World, days: int
) -> list[list[tuple[Streamer, int]]]:
    counts = [s.follower_count for s in world.streamers]
    out = []
    for _ in range(days):
        out.append(list(zip(world.streamers, counts, strict=True)))
        counts = [
            max(0, int(c * (1 + s.daily_growth + rng.uniform(-0.002, 0.002))))
            for s, c in zip(world.streamers, counts, strict=True)
        ]
    return out

"""The calibrated platform's streamers and shops, drawn once and fixed for the run."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from orchestration.simulation.calibrated.calibration import TIER_BOUNDS, Calibration
from orchestration.simulation.calibrated.draws import DAY_SECONDS
from orchestration.simulation.vocabulary import CATEGORY


@dataclass(frozen=True)
class World:
    """Arrays indexed by streamer number or by shop number."""

    tier: np.ndarray  # fan tier of each streamer, an index into TIER_NAMES
    followers0: np.ndarray  # follower count on the first day
    growth: np.ndarray  # follower growth per day
    streamer_cum: np.ndarray  # cumulative weights: which streamer sells an order
    live_probability: np.ndarray  # chance to go live on a day
    own_shop: np.ndarray  # the streamer's own shop, or -1
    streamer_category: np.ndarray
    streamer_created_us: np.ndarray
    shop_category: np.ndarray
    shop_cum: np.ndarray  # cumulative weights: which shop sells an order
    right_from: np.ndarray  # day index from which a shop holds 退货补运费

    @property
    def n_streamers(self) -> int:
        return self.tier.size

    @property
    def n_shops(self) -> int:
        return self.shop_category.size


def build_world(
    rng: np.random.Generator, cal: Calibration, target_orders: int, days: int, day0_us: int
) -> World:
    n = int(np.clip(round(2 * math.sqrt(target_orders)), 40, 20_000))
    shares = np.array(cal.tier_streamer_share)
    tier_counts = np.maximum(1, np.round(shares * n).astype(int))
    tier = np.repeat(np.arange(len(TIER_BOUNDS)), tier_counts).astype(np.int32)
    rng.shuffle(tier)
    n = tier.size
    low = np.array([b[0] for b in TIER_BOUNDS])[tier]
    high = np.array([b[1] for b in TIER_BOUNDS])[tier]
    followers0 = (low + (high - low) * rng.random(n) ** 2).astype(np.int64)
    growth = rng.uniform(0, 0.0004, n)  # per day: under +16% a year, never a new tier
    # each tier's share of streamer-sold orders, spread over its streamers with some skew
    weight = (np.array(cal.tier_order_share) / tier_counts)[tier]
    weight = weight * rng.uniform(0.5, 1.5, n)
    streamer_cum = np.cumsum(weight)
    live_probability = np.array(cal.tier_live_probability)[tier]
    n_shops = max(10, int(n * 0.7))
    shop_category = rng.integers(0, len(CATEGORY.values), n_shops).astype(np.int32)
    shop_cum = np.cumsum(1 + 9 * rng.random(n_shops) ** 2)
    # a share of streamers owns a shop (at most one streamer per shop)
    owners = np.flatnonzero(rng.random(n) < cal.own_shop_streamers)[:n_shops]
    own_shop = np.full(n, -1, dtype=np.int32)
    own_shop[owners] = rng.permutation(n_shops)[: owners.size]
    streamer_category = np.where(
        own_shop >= 0, shop_category[np.maximum(own_shop, 0)],
        rng.integers(0, len(CATEGORY.values), n),
    ).astype(np.int32)  # fmt: skip
    streamer_created_us = day0_us - rng.integers(200, 2500, n) * DAY_SECONDS * 10**6
    # 退货补运费: adopted by a share of shops on a day well inside the range
    right_from = np.full(n_shops, 1 << 30, dtype=np.int64)
    adopters = rng.random(n_shops) < cal.right_adopting_shops
    if days > 30:
        lo, hi = days // 4, max(days // 4 + 1, days * 3 // 4)
        right_from[adopters] = rng.integers(lo, hi, adopters.sum())
    return World(
        tier=tier,
        followers0=followers0,
        growth=growth,
        streamer_cum=streamer_cum,
        live_probability=live_probability,
        own_shop=own_shop,
        streamer_category=streamer_category,
        streamer_created_us=streamer_created_us,
        shop_category=shop_category,
        shop_cum=shop_cum,
        right_from=right_from,
    )

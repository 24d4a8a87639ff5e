"""小店信任卡 rights that shops enable and disable."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from orchestration.simulation.edge_cases.draws import DAY, random_time
from orchestration.simulation.edge_cases.world import World
from orchestration.simulation.vocabulary import TRUST_CARD_RIGHT


@dataclass(frozen=True)
class TrustEvent:
    at: datetime
    shop_id: str
    right: str
    event_type: str


def simulate_trust_card(
    rng: random.Random, world: World, start: date, days: int
) -> list[TrustEvent]:
    """Historical enablements (exported on the first day) and a trickle of changes after."""
    day0 = datetime.combine(start, time())
    held: dict[str, list[str]] = {shop: [] for shop in world.shops}
    events = []
    for shop in world.shops:
        for right in TRUST_CARD_RIGHT.values:
            if rng.random() < 0.2:
                at = day0 - timedelta(days=rng.randint(10, 400), seconds=rng.randrange(86400))
                events.append(TrustEvent(at, shop, right, "enabled"))
                held[shop].append(right)
    for i in range(days):
        day_start = day0 + i * DAY
        if rng.random() < 0.4:
            shop = rng.choice(world.shops)
            missing = [r for r in TRUST_CARD_RIGHT.values if r not in held[shop]]
            if missing:
                right = rng.choice(missing)
                events.append(TrustEvent(random_time(rng, day_start), shop, right, "enabled"))
                held[shop].append(right)
        if rng.random() < 0.06:
            holders = [shop for shop in world.shops if held[shop]]
            shop = rng.choice(holders)
            right = rng.choice(held[shop])
            events.append(TrustEvent(random_time(rng, day_start), shop, right, "disabled"))
            held[shop].remove(right)
    events.sort(key=lambda e: (e.at, e.shop_id, e.right))
    return events

"""Follows and orders, day by day, over one shared follow graph."""

from __future__ import annotations

import bisect
import random
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from orchestration.simulation.edge_cases.draws import (
    DAY,
    festival_multiplier,
    pick,
    random_time,
    stoch_round,
    weekday_factor,
    weighted,
)
from orchestration.simulation.edge_cases.sessions import Session
from orchestration.simulation.edge_cases.trust_card import TrustEvent
from orchestration.simulation.edge_cases.world import Buyer, Product, Streamer, World

# daily volumes, multiplied by `scale`
SHORT_VIDEO_ORDERS_PER_DAY = 60
SHOP_ORDERS_PER_DAY = 110
FOLLOWS_PER_DAY = 140
UNFOLLOWS_PER_DAY = 14
REFOLLOWS_PER_DAY = 4
FOLLOWER_ENTRY = {"follow_feed": 60, "fan_group": 25, "discovery_feed": 15}
PUBLIC_LIVE_ENTRY = {"discovery_feed": 55, "search": 12, "short_video": 18, "other": 15}
SHOP_ENTRY = {"shop_page": 50, "search": 40, "other": 10}


@dataclass(frozen=True)
class Order:
    order_id: str
    buyer: Buyer
    shop_id: str
    streamer: Streamer | None
    session_id: str | None
    product: Product
    quantity: int
    item_cents: int
    discount_cents: int
    entry_point: str
    created_at: datetime


@dataclass(frozen=True)
class Version:
    order: Order
    status: str
    updated_at: datetime
    paid_cents: int | None
    paid_at: datetime | None
    refund_cents: int


@dataclass(frozen=True)
class FollowEvent:
    at: datetime
    follower_id: str
    streamer_id: str
    event_type: str
    naive: bool  # rendered without offset (Asia/Shanghai by contract)


class FollowGraph:
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


class Commerce:
    """Day-by-day simulation of follows and orders, sharing one follow graph."""

    def __init__(self, rng: random.Random, world: World, scale: float) -> None:
        self.rng = rng
        self.world = world
        self.scale = scale
        self.graph = FollowGraph(len(world.streamers))
        self.follows: list[FollowEvent] = []
        self.versions: list[Version] = []
        self.shop_history: dict[int, list[str]] = defaultdict(list)
        self.rights: dict[str, set[str]] = defaultdict(set)
        self.next_order = 1

    def follow_event(self, at: datetime, buyer: int, streamer: int, event_type: str) -> None:
        naive = self.rng.random() < 0.05
        self.follows.append(
            FollowEvent(
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
                streamer = pick(rng, world.streamer_cum)
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
        for _ in range(stoch_round(rng, FOLLOWS_PER_DAY * self.scale)):
            buyer, streamer = rng.randrange(n_buyers), pick(rng, world.streamer_cum)
            if graph.follows(buyer, streamer) and rng.random() > 0.05:
                continue  # only a few duplicate follow events
            self.follow_event(random_time(rng, day_start), buyer, streamer, "follow")
        for _ in range(stoch_round(rng, UNFOLLOWS_PER_DAY * self.scale)):
            streamer = pick(rng, world.streamer_cum)
            members = graph.followers[streamer]
            if members:
                buyer = members[rng.randrange(len(members))]
                self.follow_event(random_time(rng, day_start), buyer, streamer, "unfollow")
        for _ in range(stoch_round(rng, REFOLLOWS_PER_DAY * self.scale)):
            if graph.unfollowed:
                buyer, streamer = rng.choice(graph.unfollowed)
                if not graph.follows(buyer, streamer):
                    self.follow_event(random_time(rng, day_start), buyer, streamer, "follow")
        if rng.random() < 0.3:  # an unfollow with no prior follow (a lost event upstream)
            buyer, streamer = rng.randrange(n_buyers), rng.randrange(len(world.streamers))
            if (buyer, streamer) not in graph.ever:
                self.follow_event(random_time(rng, day_start), buyer, streamer, "unfollow")

    def public_buyer(self, day: int) -> int:
        return pick(self.rng, self.world.buyer_cum, bisect.bisect_right(self.world.arrivals, day))

    def active_follower(self, streamer: int, day: int) -> int | None:
        members = self.graph.followers[streamer]
        for _ in range(3):
            if not members:
                return None
            buyer = members[self.rng.randrange(len(members))]
            if self.world.arrivals[buyer] <= day:
                return buyer
        return None

    def seller_shop(self, streamer: Streamer) -> str:
        if streamer.shop_id is not None and self.rng.random() < 0.8:
            return streamer.shop_id
        return self.rng.choice(streamer.partner_shops)  # distribution: someone else's goods

    def new_order(
        self,
        buyer: int,
        shop_id: str,
        streamer: Streamer | None,
        session_id: str | None,
        entry_point: str,
        created_at: datetime,
    ) -> Order:
        rng = self.rng
        product = rng.choice(self.world.products[shop_id])
        quantity = rng.choices((1, 2, 3, 4, 5), weights=(70, 18, 7, 3, 2))[0]
        item = product.price_cents * quantity
        discount = 0 if rng.random() < 0.5 else item * rng.randint(3, 30) // 100
        history = self.shop_history[buyer]
        if shop_id not in history:
            history.append(shop_id)
        return Order(
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

    def live_orders(self, session: Session, day: int) -> list[Order]:
        rng = self.rng
        streamer = self.world.streamer_index[session.streamer.streamer_id]
        span = int((session.ended_at - session.started_at).total_seconds())
        orders = []
        for _ in range(stoch_round(rng, session.expected_orders * rng.uniform(0.5, 1.5))):
            buyer = self.active_follower(streamer, day) if rng.random() < 0.6 else None
            if buyer is not None:
                entry = weighted(rng, FOLLOWER_ENTRY)
            else:
                buyer, entry = self.public_buyer(day), weighted(rng, PUBLIC_LIVE_ENTRY)
            created = session.started_at + timedelta(seconds=rng.randint(0, span))
            shop = self.seller_shop(session.streamer)
            orders.append(
                self.new_order(buyer, shop, session.streamer, session.session_id, entry, created)
            )
        return orders

    def short_video_order(self, day: int, day_start: datetime) -> Order:
        rng = self.rng
        streamer = pick(rng, self.world.streamer_cum)
        buyer = self.active_follower(streamer, day) if rng.random() < 0.45 else None
        entry = "short_video"
        if buyer is None:
            buyer = self.public_buyer(day)
        elif rng.random() < 0.5:
            entry = "follow_feed"
        st = self.world.streamers[streamer]
        created = random_time(rng, day_start)
        return self.new_order(buyer, self.seller_shop(st), st, None, entry, created)

    def shop_order(self, day: int, day_start: datetime) -> Order:
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
            shop = self.world.shops[pick(rng, self.world.shop_cum)]
        entry = weighted(rng, SHOP_ENTRY)
        return self.new_order(buyer, shop, None, None, entry, random_time(rng, day_start))

    def order_versions(self, order: Order) -> list[Version]:
        """All versions of one order: created/paid, then fulfilment, refunds or cancellation."""
        rng = self.rng
        created = order.created_at
        first = Version(order, "created", created, None, None, 0)
        if rng.random() < 0.05:  # never paid: cancelled later, paid_amount null or 0
            cancelled_at = created + timedelta(seconds=rng.randint(15 * 60, 30 * 3600))
            paid = None if rng.random() < 0.5 else 0
            return [first, Version(order, "cancelled", cancelled_at, paid, None, 0)]
        paid_at = created + timedelta(seconds=rng.randint(3, 600))
        paid = order.item_cents - order.discount_cents
        versions = []
        if paid_at.date() != created.date() or rng.random() < 0.15:
            versions.append(first)
        versions.append(Version(order, "paid", paid_at, paid, paid_at, 0))
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
                versions.append(Version(order, status, at, paid, paid_at, 0))
        for at, cumulative in refunds:
            versions.append(Version(order, "refunded", at, paid, paid_at, cumulative))
        return versions


def simulate_commerce(
    rng: random.Random,
    world: World,
    sessions: list[Session],
    trust: list[TrustEvent],
    start: date,
    days: int,
    scale: float,
) -> tuple[list[Version], list[FollowEvent]]:
    sim = Commerce(rng, world, scale)
    day0 = datetime.combine(start, time())
    sim.historical_follows(day0)
    by_day: dict[date, list[Session]] = defaultdict(list)
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
        volume = scale * festival_multiplier(d) * weekday_factor(d)
        orders: list[Order] = []
        for session in by_day[d]:
            orders.extend(sim.live_orders(session, i))
        for _ in range(stoch_round(rng, SHORT_VIDEO_ORDERS_PER_DAY * volume)):
            orders.append(sim.short_video_order(i, day_start))
        for _ in range(stoch_round(rng, SHOP_ORDERS_PER_DAY * volume)):
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

"""Livestream sessions, and how many orders each is expected to sell."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from orchestration.simulation.edge_cases.draws import DAY, festival_multiplier
from orchestration.simulation.edge_cases.world import Streamer, World

LIVE_ORDERS_PER_DAY = 290  # multiplied by `scale`, like every daily volume
# live sessions start between 10:00 and 23:59, mostly in the evening
SESSION_HOUR_WEIGHTS = (0,) * 10 + (2, 2, 2, 3, 3, 3, 2, 2, 4, 8, 10, 9, 6, 3)


@dataclass(frozen=True)
class Session:
    session_id: str
    streamer: Streamer
    started_at: datetime
    ended_at: datetime
    viewers: int
    follower_viewers: int
    watch_seconds: int
    peak_concurrent: int
    interactions: int
    expected_orders: float


def live_order_factor(world: World, scale: float) -> float:
    """Orders per viewer so that live rooms sell about LIVE_ORDERS_PER_DAY * scale a day."""
    expected = 0.0
    for s in world.streamers:
        mean_viewers = math.sqrt(s.follower_count) * 7 + 1025
        expected += s.sessions_per_week / 7 * mean_viewers
    return LIVE_ORDERS_PER_DAY * scale / expected


def simulate_sessions(
    rng: random.Random, world: World, start: date, days: int, scale: float
) -> list[Session]:
    """Sessions that start and end inside the range (a session is exported when it ends)."""
    end = datetime.combine(start + days * DAY, time())
    factor = live_order_factor(world, scale)
    drafts = []
    for i in range(days):
        d = start + i * DAY
        fest = festival_multiplier(d)
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
            draft = Session(
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

"""Random draws and calendar factors shared by the edge-case generators.

Plain `random.Random` calls and arithmetic only: no transcendental float functions, whose last
bit may differ between C libraries, so the same seed gives the same draws everywhere.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from orchestration.simulation.festivals import festival_on

DAY = timedelta(days=1)
HOUR_WEIGHTS = (3, 2, 1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 6, 5, 5, 5, 5, 6, 7, 9, 11, 12, 12, 8)


def stoch_round(rng: random.Random, x: float) -> int:
    """Round x up or down at random so that the expectation is x."""
    whole = int(x)
    return whole + (1 if rng.random() < x - whole else 0)


def cumulative(weights: Sequence[float]) -> tuple[float, ...]:
    total = 0.0
    out = []
    for w in weights:
        total += w
        out.append(total)
    return tuple(out)


def pick(rng: random.Random, cum: Sequence[float], n: int | None = None) -> int:
    """Weighted index among the first n items, given cumulative weights."""
    hi = len(cum) if n is None else n
    r = rng.random() * cum[hi - 1]
    return min(bisect.bisect_right(cum, r, 0, hi), hi - 1)


def weighted(rng: random.Random, options: dict[str, int]) -> str:
    keys = list(options)
    return rng.choices(keys, weights=[options[k] for k in keys])[0]


def square(u: float) -> float:
    """Skews a uniform draw towards 0 (plain multiplication: bit-identical everywhere)."""
    return u * u


# Volume on a festival's peak day, the day before, and so on: the days just before rise to it.
PEAK_RUN_UP = (2.8, 2.2, 1.8, 1.5)


def festival_multiplier(d: date) -> float:
    festival = festival_on(d)
    if festival is None or not 0 <= festival.peak_day - d.day < len(PEAK_RUN_UP):
        return 1.0
    return PEAK_RUN_UP[festival.peak_day - d.day]


def weekday_factor(d: date) -> float:
    return 1.1 if d.weekday() >= 5 else 1.0


def random_time(rng: random.Random, day_start: datetime) -> datetime:
    hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
    return day_start + timedelta(hours=hour, seconds=rng.randrange(3600))

"""Draws and calendar arithmetic shared by the calibrated platform's generators."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

DAY_SECONDS = 86_400
EPOCH = date(1970, 1, 1)
HOUR_WEIGHTS = np.array((1, 1, 1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 6, 5, 5, 5, 5, 6, 7, 9, 11, 12, 12, 8))


def pick(rng: np.random.Generator, cum: np.ndarray, size: int) -> np.ndarray:
    """Weighted indices, given cumulative weights."""
    return np.minimum(
        np.searchsorted(cum, rng.random(size) * cum[-1], side="right"), cum.size - 1
    ).astype(np.int32)


def times_of_day(rng: np.random.Generator, size: int) -> np.ndarray:
    """Seconds after midnight, by hour of day, never in the first two minutes."""
    hours = rng.choice(24, size=size, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    return np.maximum(hours * 3600 + rng.integers(0, 3600, size), 120)


def interpolate(pair: tuple[float, float], k: int, n: int) -> float:
    return pair[0] if n <= 1 else pair[0] + (pair[1] - pair[0]) * k / (n - 1)


def month_segments(start: date, days: int) -> list[tuple[int, int]]:
    """(first day index, last day index) of each calendar month in the range."""
    segments = []
    first = 0
    for i in range(1, days + 1):
        if i == days or (start + timedelta(days=i)).day == 1:
            segments.append((first, i - 1))
            first = i
    return segments

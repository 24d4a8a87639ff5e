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

import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from orchestration.landing.contract import SOURCES as CONTRACT
from orchestration.simulation.edge_cases.commerce import simulate_commerce
from orchestration.simulation.edge_cases.draws import DAY
from orchestration.simulation.edge_cases.enforcement import simulate_enforcement
from orchestration.simulation.edge_cases.export import render_files
from orchestration.simulation.edge_cases.sessions import simulate_sessions
from orchestration.simulation.edge_cases.trust_card import simulate_trust_card
from orchestration.simulation.edge_cases.world import build_world, streamer_snapshots
from orchestration.simulation.writer import LandingWriter

__all__ = ["SOURCES", "SimulationSummary", "simulate"]

SOURCES = tuple(CONTRACT)


@dataclass(frozen=True)
class SimulationSummary:
    landing_dir: Path
    start: date
    days: int
    seed: int
    files_written: int
    rows_written: dict[str, int]  # per source name


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
    world = build_world(random.Random(f"{seed}:world"), start, scale)
    sessions = simulate_sessions(random.Random(f"{seed}:sessions"), world, start, days, scale)
    trust = simulate_trust_card(random.Random(f"{seed}:trust"), world, start, days)
    versions, follows = simulate_commerce(
        random.Random(f"{seed}:commerce"), world, sessions, trust, start, days, scale
    )
    actions = simulate_enforcement(
        random.Random(f"{seed}:enforcement"), world, sessions, start, days, scale
    )
    snapshots = streamer_snapshots(random.Random(f"{seed}:streamers"), world, days)

    files = render_files(start, days, versions, follows, sessions, snapshots, trust, actions)
    writer = LandingWriter(landing_dir, keep_empty_partitions=False)
    for source in SOURCES:
        for i in range(days):
            writer.write_rows(source, start + i * DAY, files.get((source, i), []))
    return SimulationSummary(landing_dir, start, days, seed, writer.files, writer.rows)

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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from orchestration.landing.contract import LANDING_FILE_SUFFIXES
from orchestration.simulation.calibrated.calibration import Calibration
from orchestration.simulation.calibrated.platform import Platform

__all__ = ["Calibration", "PlatformSummary", "simulate_platform", "MANIFEST_NAME", "FORMATS"]

MANIFEST_NAME = "simulation_manifest.json"
FORMATS = tuple(suffix.removeprefix(".") for suffix in LANDING_FILE_SUFFIXES)


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
    sim = Platform(Path(landing_dir), start, days, orders, seed, file_format,
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

"""Does the warehouse recover what the calibrated simulator planted?

`recovery_checks(manifest, published)` compares the published marts with the manifest that
`calibrated.simulate_platform` wrote beside the landing files. Counts the simulator fixed
(buyers, returning buyers, repurchase orders, GMV) must match exactly; rates it drew at random
must lie within four standard errors of the planted probability. The planted-truth test asserts
every check; the scale benchmark prints them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb

SIGMAS = 4.0


@dataclass(frozen=True)
class Check:
    name: str
    planted: float
    recovered: float
    tolerance: float  # 0 for an exact check

    @property
    def ok(self) -> bool:
        return abs(self.recovered - self.planted) <= self.tolerance

    def line(self) -> str:
        within = "exact" if self.tolerance == 0 else f"±{self.tolerance:.4f}"
        verdict = "ok" if self.ok else "MISMATCH"
        return (
            f"{self.name:<58}{self.planted:>16,.4f}{self.recovered:>16,.4f}  {within:<9} {verdict}"
        )


def binomial_tolerance(p: float, n: int) -> float:
    return SIGMAS * math.sqrt(p * (1 - p) / max(n, 1))


def recovery_checks(manifest_path: Path, published_path: Path) -> list[Check]:
    manifest = json.loads(Path(manifest_path).read_text())
    checks: list[Check] = []
    with duckdb.connect(str(published_path), read_only=True) as conn:

        def platform_month(sql: str) -> dict[str, tuple]:
            rows = conn.execute(sql).fetchall()
            return {row[0].isoformat(): row[1:] for row in rows}

        returning = platform_month(
            "select month_start, buyers, returning_buyers, returning_buyer_share "
            "from marts.returning_buyers_monthly where scope = 'platform'"
        )
        repeat = platform_month(
            "select period_start, buyers, repeat_buyers, repeat_purchase_rate "
            "from marts.repurchase_rate where scope = 'platform' and period_grain = 'month'"
        )
        private = platform_month(
            "select month_start, gmv, orders, repurchase_orders, private_repurchase_orders, "
            "repurchase_private_share from marts.private_domain_share_monthly "
            "where scope = 'platform'"
        )
        tiers = conn.execute(
            "select fan_tier, sum(gmv) / sum(sum(gmv)) over () from marts.fan_tier_monthly "
            "group by fan_tier"
        ).fetchall()

    for month in manifest["months"]:
        key = month["month_start"]
        if month["days"] < 28 or key not in returning:
            continue  # a partial month's rates are not the planted ones
        buyers, returning_buyers, share = returning[key]
        checks += [
            Check(f"{key} buyers", month["active_buyers"], buyers, 0),
            Check(f"{key} returning buyers", month["returning_buyers"], returning_buyers, 0),
            Check(f"{key} returning_buyer_share", month["returning_buyer_share"], share, 0),
        ]
        _, repeat_buyers, repeat_rate = repeat[key]
        p = month["repeat_purchase_probability"]
        checks += [
            Check(f"{key} repeat buyers", month["buyers_with_two_or_more_orders"], repeat_buyers,
                  0),
            Check(f"{key} repeat_purchase_rate vs planted probability", p, repeat_rate,
                  binomial_tolerance(p, buyers)),
        ]  # fmt: skip
        gmv, orders, repurchase_orders, private_repurchase, private_share = private[key]
        q = month["repurchase_private_probability"]
        checks += [
            Check(f"{key} GMV", float(Decimal(manifest["gmv_by_month"][key])), float(gmv), 0),
            Check(f"{key} counted orders", month["counted_orders"], orders, 0),
            Check(f"{key} repurchase orders", month["repurchase_orders"], repurchase_orders, 0),
            Check(f"{key} private repurchase orders", month["private_repurchase_orders"],
                  private_repurchase, 0),
            Check(f"{key} repurchase_private_share vs planted probability", q,
                  private_share or 0.0, binomial_tolerance(q, repurchase_orders)),
        ]  # fmt: skip
    planted_tiers = manifest["world"]["streamer_order_share_by_tier"]
    for tier, share in tiers:
        # GMV share by tier tracks the planted share of streamer-sold orders (prices do not
        # depend on the tier); the tolerance allows for the spread of order values.
        checks.append(Check(f"GMV share of fan tier {tier}", planted_tiers[tier], share, 0.05))
    return checks


def format_checks(checks: list[Check]) -> str:
    header = f"{'check':<58}{'planted':>16}{'recovered':>16}  {'tolerance':<9} verdict"
    return "\n".join([header, *(c.line() for c in checks)])

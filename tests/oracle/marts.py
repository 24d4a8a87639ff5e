"""Every oracle mart at once, from landing records or a landing folder."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .audience import (
    FanTiers,
    build_fan_tier_monthly,
    build_gmv_monthly_by_dimension,
    read_fan_tiers,
    streamer_tiers_monthly,
)
from .enforcement import (
    build_enforcement_commerce_monthly,
    build_enforcement_daily,
    build_enforcement_monthly,
)
from .festivals import build_festival_gmv, read_festivals
from .landing import read_landing
from .livestream import build_fct_livestream_sessions, build_gmv_decomposition_monthly
from .orders import build_fct_orders, build_gmv_daily
from .repurchase import (
    build_cohort_retention,
    build_private_domain_share_monthly,
    build_repurchase_rate,
    build_returning_buyers_monthly,
)
from .trust_card import build_dim_shop_trust_rights, build_trust_card_impact
from .values import Mart, Record


def compute_marts_from_records(
    records: dict[str, list[Record]],
    fan_tiers: FanTiers | None = None,
    festivals: Iterable[Record] | None = None,
) -> dict[str, Mart]:
    """All oracle marts. The reference seeds (fan tiers, festival calendar) are read from
    seeds/reference unless given."""
    fct_orders = build_fct_orders(records)
    gmv_daily = build_gmv_daily(records, fct_orders)
    fct_sessions = build_fct_livestream_sessions(records, fct_orders)
    tiers_by_month = streamer_tiers_monthly(
        records, read_fan_tiers() if fan_tiers is None else fan_tiers
    )
    dim_trust_rights = build_dim_shop_trust_rights(records)
    return {
        "fct_orders": fct_orders,
        "gmv_daily": gmv_daily,
        "repurchase_rate": build_repurchase_rate(fct_orders),
        "returning_buyers_monthly": build_returning_buyers_monthly(fct_orders),
        "private_domain_share_monthly": build_private_domain_share_monthly(fct_orders),
        "enforcement_daily": build_enforcement_daily(records),
        "fct_livestream_sessions": fct_sessions,
        "gmv_decomposition_monthly": build_gmv_decomposition_monthly(fct_sessions, fct_orders),
        "gmv_monthly_by_dimension": build_gmv_monthly_by_dimension(fct_orders, tiers_by_month),
        "festival_gmv": build_festival_gmv(
            gmv_daily, read_festivals() if festivals is None else festivals
        ),
        "fan_tier_monthly": build_fan_tier_monthly(fct_orders, fct_sessions, tiers_by_month),
        "cohort_retention": build_cohort_retention(fct_orders),
        "dim_shop_trust_rights": dim_trust_rights,
        "trust_card_impact": build_trust_card_impact(dim_trust_rights, fct_orders),
        "enforcement_monthly": build_enforcement_monthly(records),
        "enforcement_commerce_monthly": build_enforcement_commerce_monthly(records, fct_orders),
    }


def compute_marts(landing_dir: Path) -> dict[str, Mart]:
    """All oracle marts computed from the landing files under ``landing_dir``."""
    return compute_marts_from_records(read_landing(landing_dir))

"""The planted parameters, and the fixed figures the simulated world is drawn from."""

from __future__ import annotations

from dataclasses import dataclass

# median list price per category, in CATEGORY order
CATEGORY_MEDIAN_CENTS = (12_900, 15_900, 3_900, 7_900, 49_900, 29_900, 9_900)
# fan tiers (METRICS.md): follower-count bounds, drawn inside so that a year's growth never
# crosses a bound
TIER_BOUNDS = ((1_000, 8_000), (10_000, 80_000), (100_000, 800_000), (1_000_000, 8_000_000),
               (10_000_000, 40_000_000))  # fmt: skip
TIER_NAMES = ("<10k", "10k-100k", "100k-1M", "1M-10M", ">=10M")


@dataclass(frozen=True)
class Calibration:
    """The planted parameters. Pairs are (first month, last month), interpolated linearly."""

    returning_share: tuple[float, float] = (0.45, 0.65)
    repeat_purchase_rate: tuple[float, float] = (0.22, 0.32)
    repurchase_private_share: tuple[float, float] = (0.80, 0.86)
    first_order_private_share: float = 0.30
    public_order_with_streamer: float = 0.55
    monthly_growth: float = 0.05
    festival_day_factor: float = 1.3
    festival_peak_factor: float = 2.5
    weekend_factor: float = 1.1
    cancelled_per_counted_order: float = 0.04
    refund_rate: float = 0.08
    full_refund_share: float = 0.7
    refund_delay_days: tuple[int, int] = (1, 30)
    completion_delay_days: tuple[int, int] = (3, 10)
    switch_streamer: float = 0.05
    follow_after_purchase: float = 0.08
    daily_unfollow: float = 0.002
    shop_loyalty: float = 0.30
    shop_loyalty_with_right: float = 0.55
    right_adopting_shops: float = 0.30
    tier_streamer_share: tuple[float, ...] = (0.40, 0.33, 0.20, 0.06, 0.01)
    tier_order_share: tuple[float, ...] = (0.04, 0.14, 0.52, 0.22, 0.08)
    tier_live_probability: tuple[float, ...] = (0.15, 0.25, 0.60, 0.50, 0.35)
    own_shop_streamers: float = 0.6
    sells_own_shop: float = 0.7
    # enforcement, from the published yearly figures of a platform of this many orders a year
    platform_orders_per_year: float = 7.6e9  # 381.2 bn CNY GMV / about 50 CNY per order
    brushing_per_order: float = 50_000 * 365 / 7.6e9
    room_bans_per_session: float = 0.01
    gangs_per_year: float = 24
    accounts_per_gang: tuple[int, int] = (20, 150)
    police_cases_per_year: float = 11
    referrals_per_case: tuple[int, int] = (1, 6)
    referral_amount_cny: tuple[int, int] = (500_000, 3_500_000)
    reports_per_year: float = 8_000_000
    warnings_per_year: float = 400_000  # not published: a twentieth of the reports
    penalties_per_year: float = 45_000
    min_yearly_events: float = 6  # floor for gangs, cases, reports and penalties per year

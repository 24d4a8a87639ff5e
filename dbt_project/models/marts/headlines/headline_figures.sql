-- The platform's headline figures in one row, over everything loaded: what `lcw demo` prints and
-- a dashboard's top line. Each rate comes with its numerator and denominator, re-aggregated from
-- the marts that define it (never an average of rates).
with totals as (
    select
        min(day) as first_day,
        max(day) as last_day,
        {{ money('sum(gmv)') }} as gmv,
        {{ money('sum(net_gmv)') }} as net_gmv
    from {{ ref('gmv_daily') }}
),

latest_year_repurchase as (
    select period_start, buyers, repeat_buyers, repeat_purchase_rate
    from {{ ref('repurchase_rate') }}
    where period_grain = 'year' and scope = 'platform'
    order by period_start desc
    limit 1
),

latest_month_returning as (
    select month_start, buyers, returning_buyers, returning_buyer_share
    from {{ ref('returning_buyers_monthly') }}
    where scope = 'platform'
    order by month_start desc
    limit 1
),

private_domain as (
    select
        {{ money('sum(private_gmv)') }} as private_gmv,
        cast(sum(repurchase_orders) as {{ dbt.type_bigint() }}) as repurchase_orders,
        cast(sum(private_repurchase_orders) as {{ dbt.type_bigint() }})
            as private_repurchase_orders
    from {{ ref('private_domain_share_monthly') }}
    where scope = 'platform'
),

enforcement as (
    select
        count(distinct action_date) as enforcement_days,
        count(case when action_type = 'brushing_intercept' then 1 end)
            as brushing_interceptions,
        count(distinct case
            when action_type = 'room_ban' and reason = 'private_order'
                and target_type = 'live_room' then target_id
        end) as live_rooms_banned_private_order,
        count(distinct case when action_type = 'account_clearance' then gang_id end)
            as gangs_cleared,
        count(distinct case when action_type = 'account_clearance' then target_id end)
            as accounts_cleared,
        count(case when action_type = 'police_referral' then 1 end) as police_referrals,
        count(distinct case when action_type = 'police_referral' then case_id end)
            as referral_cases,
        {{ money(
            "coalesce(sum(case when action_type = 'police_referral' then amount_involved end), 0)"
        ) }} as referral_amount,
        count(distinct case when campaign = 'pinocchio' then session_id end)
            as pinocchio_sessions,
        count(distinct case when campaign = 'pinocchio' then reporter_id end)
            as pinocchio_reporters,
        count(case when campaign = 'pinocchio' and action_type = 'penalty' then 1 end)
            as pinocchio_penalties
    from {{ ref('fct_enforcement_actions') }}
)

select
    totals.first_day,
    totals.last_day,
    totals.gmv,
    totals.net_gmv,
    latest_year_repurchase.period_start as repeat_purchase_year_start,
    latest_year_repurchase.buyers as repeat_purchase_buyers,
    latest_year_repurchase.repeat_buyers,
    latest_year_repurchase.repeat_purchase_rate,
    latest_month_returning.month_start as returning_month_start,
    latest_month_returning.buyers as returning_month_buyers,
    latest_month_returning.returning_buyers,
    latest_month_returning.returning_buyer_share,
    private_domain.private_gmv,
    {{ safe_rate('private_domain.private_gmv', 'totals.gmv') }} as private_domain_share,
    private_domain.repurchase_orders,
    private_domain.private_repurchase_orders,
    {{ safe_rate('private_domain.private_repurchase_orders', 'private_domain.repurchase_orders') }}
        as repurchase_private_share,
    enforcement.enforcement_days,
    enforcement.brushing_interceptions,
    -- An average per day with any enforcement action, not a rate in [0, 1].
    cast(enforcement.brushing_interceptions as double)
    / nullif(enforcement.enforcement_days, 0) as brushing_interceptions_per_day,
    enforcement.live_rooms_banned_private_order,
    enforcement.gangs_cleared,
    enforcement.accounts_cleared,
    enforcement.police_referrals,
    enforcement.referral_cases,
    enforcement.referral_amount,
    enforcement.pinocchio_sessions,
    enforcement.pinocchio_reporters,
    enforcement.pinocchio_penalties
from totals
cross join latest_year_repurchase
cross join latest_month_returning
cross join private_domain
cross join enforcement

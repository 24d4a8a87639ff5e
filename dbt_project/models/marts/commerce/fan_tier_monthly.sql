-- Concentration by fan tier: each month's streamer-sold GMV and livestream sessions by the
-- streamers' tier that month (follower count at month end), with shares of the month's totals.
--
-- Incremental, by month: a run recomputes the months in int_changed_months.
{%- set changed = 'select month_start from ' ~ ref('int_changed_months') %}
{{ config(**keyed_state(
    ['month_start', 'fan_tier'],
    pre_hook=["{{ delete_matching(ref('int_changed_months'), ['month_start']) }}"],
    deleted_first=true,
)) }}

with tiers as (
    select * from {{ ref('int_streamer_monthly_fan_tiers') }}
),

order_activity as (
    select
        {{ period_start('month', 'paid_date') }} as month_start,
        streamer_id,
        0 as sessions,
        gmv
    from {{ ref('fct_orders') }}
    where streamer_id is not null
),

session_activity as (
    select
        {{ period_start('month', 'started_date') }} as month_start,
        streamer_id,
        1 as sessions,
        0 as gmv
    from (
        select
            streamer_id,
            {{ reporting_date('started_at') }} as started_date
        from {{ ref('int_livestream_sessions') }}
    ) as sessions
),

changed_activity as (
    select * from order_activity
    where {{ in_months('month_start', changed) }}
    union all
    select * from session_activity
    where {{ in_months('month_start', changed) }}
),

activity as (
    select
        activity.month_start,
        coalesce(tiers.fan_tier, 'unknown') as fan_tier,
        activity.streamer_id,
        activity.sessions,
        activity.gmv
    from changed_activity as activity
    left join tiers
        on activity.streamer_id = tiers.streamer_id
        and activity.month_start = tiers.month_start
),

by_tier as (
    select
        month_start,
        fan_tier,
        count(distinct streamer_id) as streamers,
        cast(sum(sessions) as {{ dbt.type_bigint() }}) as sessions,
        {{ money('sum(gmv)') }} as gmv
    from activity
    group by month_start, fan_tier
),

with_totals as (
    select
        *,
        cast(sum(sessions) over (partition by month_start) as {{ dbt.type_bigint() }})
            as total_sessions,
        {{ money('sum(gmv) over (partition by month_start)') }} as total_gmv
    from by_tier
)

select
    *,
    {{ safe_rate('gmv', 'total_gmv') }} as gmv_share,
    {{ safe_rate('sessions', 'total_sessions') }} as session_share
from with_totals

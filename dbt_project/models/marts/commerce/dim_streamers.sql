-- One row per streamer: who they are today (latest snapshot: shop, category, followers, fan
-- tier with its sort order) and their lifetime activity (sessions, counted orders, GMV).
-- Every streamer that appears in a snapshot, a session or a counted order has a row; one seen
-- only in sessions or orders has no snapshot, so fan tier 'unknown'.
with streamers as (
    select streamer_id from {{ ref('int_streamers_latest') }}
    union
    select streamer_id from {{ ref('fct_livestream_sessions') }}
    union
    select entity_id as streamer_id from {{ ref('int_lifetime_orders_monthly') }}
    where entity = 'streamer'
),

sessions as (
    select
        streamer_id,
        count(*) as sessions,
        min(session_date) as first_session_date,
        max(session_date) as last_session_date
    from {{ ref('fct_livestream_sessions') }}
    group by streamer_id
),

orders as (
    {{ lifetime_orders('streamer') }}
),

unknown_tier as (
    select fan_tier_order from {{ ref('dim_fan_tiers') }}
    where fan_tier = 'unknown'
)

select
    streamers.streamer_id,
    latest.shop_id,
    latest.category,
    latest.created_at,
    latest.exported_on as followers_as_of,
    latest.follower_count,
    coalesce(latest.fan_tier, 'unknown') as fan_tier,
    coalesce(latest.tier_order, unknown_tier.fan_tier_order) as fan_tier_order,
    sessions.first_session_date,
    sessions.last_session_date,
    cast(coalesce(sessions.sessions, 0) as {{ dbt.type_bigint() }}) as sessions,
    {{ lifetime_order_columns('orders') }}
from streamers
cross join unknown_tier
left join {{ ref('int_streamers_latest') }} as latest
    on streamers.streamer_id = latest.streamer_id
left join sessions
    on streamers.streamer_id = sessions.streamer_id
left join orders
    on streamers.streamer_id = orders.streamer_id

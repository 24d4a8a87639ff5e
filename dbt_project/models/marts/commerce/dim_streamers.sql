-- One row per streamer: who they are today (latest snapshot: shop, category, followers, fan
-- tier with its sort order) and their lifetime activity (sessions, counted orders, GMV).
-- Every streamer that appears in a snapshot, a session or a counted order has a row; one seen
-- only in sessions or orders has no snapshot, so fan tier 'unknown'.
with streamers as (
    select streamer_id from {{ ref('int_streamers_latest') }}
    union
    select streamer_id from {{ ref('fct_livestream_sessions') }}
    union
    select streamer_id from {{ ref('fct_orders') }} where streamer_id is not null
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
    select
        streamer_id,
        count(*) as orders,
        count(distinct buyer_id) as buyers,
        sum(gmv) as gmv,
        sum(net_gmv) as net_gmv,
        sum(case when traffic_domain = 'private' then gmv else 0 end) as private_gmv,
        min(paid_date) as first_paid_date,
        max(paid_date) as last_paid_date
    from {{ ref('fct_orders') }}
    where streamer_id is not null
    group by streamer_id
),

unknown_tier as (
    select fan_tier_order from {{ ref('dim_fan_tiers') }} where fan_tier = 'unknown'
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
    orders.first_paid_date,
    orders.last_paid_date,
    cast(coalesce(orders.orders, 0) as {{ dbt.type_bigint() }}) as orders,
    cast(coalesce(orders.buyers, 0) as {{ dbt.type_bigint() }}) as buyers,
    cast(coalesce(orders.gmv, 0) as decimal(18, 2)) as gmv,
    cast(coalesce(orders.net_gmv, 0) as decimal(18, 2)) as net_gmv,
    cast(coalesce(orders.private_gmv, 0) as decimal(18, 2)) as private_gmv
from streamers
cross join unknown_tier
left join {{ ref('int_streamers_latest') }} as latest
    on streamers.streamer_id = latest.streamer_id
left join sessions
    on streamers.streamer_id = sessions.streamer_id
left join orders
    on streamers.streamer_id = orders.streamer_id

-- One row per livestream session with its audience (UV, private/public UV, watch time) and the
-- counted orders placed in it (orders.session_id), on the reporting day the session started.
with session_orders as (
    select
        session_id,
        count(*) as orders,
        count(distinct buyer_id) as buyers,
        sum(gmv) as gmv,
        sum(case when traffic_domain = 'private' then gmv else 0 end) as private_gmv
    from {{ ref('int_orders_attributed') }}
    where session_id is not null
    group by session_id
)

select
    sessions.session_id,
    sessions.streamer_id,
    sessions.started_at,
    sessions.ended_at,
    {{ reporting_date('sessions.started_at') }} as session_date,
    sessions.viewers,
    sessions.follower_viewers,
    sessions.viewers - sessions.follower_viewers as public_viewers,
    sessions.watch_seconds,
    cast(sessions.watch_seconds as double) / 60 as watch_minutes,
    sessions.peak_concurrent,
    sessions.interactions,
    coalesce(session_orders.orders, 0) as orders,
    coalesce(session_orders.buyers, 0) as buyers,
    {{ money('coalesce(session_orders.gmv, 0)') }} as gmv,
    {{ money('coalesce(session_orders.private_gmv, 0)') }} as private_gmv
from {{ ref('int_livestream_sessions') }} as sessions
left join session_orders
    on sessions.session_id = session_orders.session_id

-- One row per livestream session with its audience (UV, private/public UV, watch time) and the
-- counted orders placed in it (orders.session_id), on the reporting day the session started.
--
-- Incremental, by session: a run recomputes the sessions in int_changed_sessions.
{{ config(**keyed_state(
    'session_id',
    pre_hook=["{{ record_rows_before(of_changed_sessions()) }}"],
    post_hook=["{{ empty_rows_before() }}"],
    recompute_in='int_changed_sessions',
)) }}

with session_orders as (
    select
        session_id,
        count(*) as orders,
        count(distinct buyer_id) as buyers,
        sum(gmv) as gmv,
        sum(case when traffic_domain = 'private' then gmv else 0 end) as private_gmv
    from {{ ref('fct_orders') }}
    where session_id is not null and {{ of_changed_sessions() }}
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
where {{ of_changed_sessions('sessions.session_id') }}

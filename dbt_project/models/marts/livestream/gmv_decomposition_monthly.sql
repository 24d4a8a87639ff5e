-- The "live e-commerce 2.0" identity per streamer and month (of session start):
--   GMV = UV × (watch minutes / UV) × (buyers / watch minute) × (GMV / order) × (orders / buyer)
-- over the streamer's sessions started in the month and the counted orders placed in them. The
-- five factors multiply back to gmv exactly, because each numerator cancels the next denominator.
--
-- Incremental, by streamer and month: a run recomputes the groups in int_changed_session_months.
{{ config(**keyed_state(
    ['month_start', 'streamer_id'], recompute_in='int_changed_session_months'
)) }}

with session_months as (
    select sessions.*
    from (
        select
            {{ period_start('month', 'session_date') }} as month_start,
            streamer_id,
            session_id,
            viewers,
            follower_viewers,
            watch_seconds
        from {{ ref('fct_livestream_sessions') }}
    ) as sessions
    where {{ when_incremental(matches_a_row_of(
        ref('int_changed_session_months'), 'sessions', ['month_start', 'streamer_id']
    )) }}
),

audience as (
    select
        month_start,
        streamer_id,
        count(*) as sessions,
        sum(viewers) as viewers,
        sum(follower_viewers) as private_viewers,
        -- Summed in whole seconds: exact, so the result never depends on the order of rows.
        cast(sum(watch_seconds) as double) / 60 as watch_minutes
    from session_months
    group by month_start, streamer_id
),

sales as (
    select
        session_months.month_start,
        session_months.streamer_id,
        count(*) as orders,
        count(distinct orders.buyer_id) as buyers,
        sum(orders.gmv) as gmv
    from session_months
    inner join {{ ref('fct_orders') }} as orders
        on session_months.session_id = orders.session_id
    group by session_months.month_start, session_months.streamer_id
),

combined as (
    select
        audience.month_start,
        audience.streamer_id,
        audience.sessions,
        cast(audience.viewers as {{ dbt.type_bigint() }}) as viewers,
        cast(audience.private_viewers as {{ dbt.type_bigint() }}) as private_viewers,
        cast(audience.viewers - audience.private_viewers as {{ dbt.type_bigint() }})
            as public_viewers,
        audience.watch_minutes,
        coalesce(sales.orders, 0) as orders,
        coalesce(sales.buyers, 0) as buyers,
        {{ money('coalesce(sales.gmv, 0)') }} as gmv
    from audience
    left join sales
        on audience.month_start = sales.month_start
        and audience.streamer_id = sales.streamer_id
)

select
    *,
    case when viewers > 0 then watch_minutes / viewers end as watch_minutes_per_viewer,
    case when watch_minutes > 0 then buyers / watch_minutes end as buyers_per_watch_minute,
    case when orders > 0 then cast(gmv as double) / orders end as avg_order_value,
    case when buyers > 0 then cast(orders as double) / buyers end as orders_per_buyer
from combined

-- One row per counted order (paid_at not null), in its latest version. The single place where an
-- order's GMV, traffic domain and repurchase position meet; every commerce mart aggregates this.
--
-- The traffic domain is decided point in time: an order is private-domain when, at the moment it
-- was paid, the buyer followed the streamer who sold it (followed_from <= paid_at <
-- followed_until). A follow after payment, or one undone before it, does not count; orders
-- without a streamer are public-domain.
--
-- An order's position in its buyer's counted orders within each scope is ordered by paid_at,
-- ties broken by order_id; a repurchase is a 2nd or later order in a scope. Orders without a
-- streamer have no streamer-scope position. Positions are bigint on every engine (row_number()
-- is bigint in DuckDB, int in Spark).
--
-- Incremental, by buyer: a run recomputes the orders of the buyers in int_touched_buyers (a late
-- first order shifts all of the buyer's later positions), and keeps those buyers' rows as they
-- were before it (fct_orders__before) and as it left them (fct_orders__after) for the models
-- that restate what changed (macros/changed_rows.sql).
{{ config(**keyed_state(
    'order_id',
    pre_hook=[
        "{{ record_rows_before(of_touched_buyers()) }}",
        "{{ delete_touched_buyers() }}",
    ],
    post_hook=["{{ empty_rows_before() }}", "{{ record_rows_after(of_touched_buyers()) }}"],
    deleted_first=true,
)) }}
-- depends_on: {{ ref('int_touched_buyers') }}

with counted_orders as (
    {{ rows_where(ref('int_orders_latest'), 'is_counted and ' ~ of_touched_buyers()) }}
),

follow_at_payment as (
    select distinct counted_orders.order_id
    from counted_orders
    inner join {{ ref('int_follow_intervals') }} as follows
        on counted_orders.buyer_id = follows.follower_id
        and counted_orders.streamer_id = follows.streamer_id
        and follows.followed_from <= counted_orders.paid_at
        and (follows.followed_until is null or counted_orders.paid_at < follows.followed_until)
),

attributed as (
    select
        counted_orders.*,
        case
            when follow_at_payment.order_id is not null then 'private' else 'public'
        end as traffic_domain
    from counted_orders
    left join follow_at_payment
        on counted_orders.order_id = follow_at_payment.order_id
),

sequenced as (
    select
        *,
        cast(row_number() over (
            partition by buyer_id order by paid_at, order_id
        ) as {{ dbt.type_bigint() }}) as platform_order_seq,
        cast(row_number() over (
            partition by buyer_id, shop_id order by paid_at, order_id
        ) as {{ dbt.type_bigint() }}) as shop_order_seq,
        case
            when streamer_id is not null
                then cast(row_number() over (
                        partition by buyer_id, streamer_id order by paid_at, order_id
                    ) as {{ dbt.type_bigint() }})
        end as streamer_order_seq
    from attributed
)

select
    order_id,
    buyer_id,
    shop_id,
    streamer_id,
    session_id,
    product_id,
    category,
    entry_point,
    status,
    created_at,
    paid_at,
    paid_date,
    gmv,
    refund_amount,
    net_gmv,
    traffic_domain,
    platform_order_seq,
    shop_order_seq,
    streamer_order_seq,
    platform_order_seq >= 2 as is_platform_repurchase,
    shop_order_seq >= 2 as is_shop_repurchase,
    coalesce(streamer_order_seq >= 2, false) as is_streamer_repurchase
from sequenced

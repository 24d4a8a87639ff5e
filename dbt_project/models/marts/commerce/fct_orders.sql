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

with counted_orders as {{ inlined_in_full_build() }} (
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

-- Each order's traffic domain and positions, computed over the few columns they need and joined
-- back to the order's other columns by order_id. Windows over the whole rows sorted the
-- full-width history three times (at 100 M orders, past a 16 GB spill cap). The follow join
-- stays below the windows so the engine cannot reorder it above the join back, where DuckDB
-- built its hash table from the wide rows.
positions as (
    select
        counted_orders.order_id,
        case
            when follow_at_payment.order_id is not null then 'private' else 'public'
        end as traffic_domain,
        cast(row_number() over (
            partition by counted_orders.buyer_id
            order by counted_orders.paid_at, counted_orders.order_id
        ) as {{ dbt.type_bigint() }}) as platform_order_seq,
        cast(row_number() over (
            partition by counted_orders.buyer_id, counted_orders.shop_id
            order by counted_orders.paid_at, counted_orders.order_id
        ) as {{ dbt.type_bigint() }}) as shop_order_seq,
        case
            when counted_orders.streamer_id is not null
                then cast(row_number() over (
                        partition by counted_orders.buyer_id, counted_orders.streamer_id
                        order by counted_orders.paid_at, counted_orders.order_id
                    ) as {{ dbt.type_bigint() }})
        end as streamer_order_seq
    from counted_orders
    left join follow_at_payment
        on counted_orders.order_id = follow_at_payment.order_id
)

select
    counted_orders.order_id,
    counted_orders.buyer_id,
    counted_orders.shop_id,
    counted_orders.streamer_id,
    counted_orders.session_id,
    counted_orders.product_id,
    counted_orders.category,
    counted_orders.entry_point,
    counted_orders.status,
    counted_orders.created_at,
    counted_orders.paid_at,
    counted_orders.paid_date,
    counted_orders.gmv,
    counted_orders.refund_amount,
    counted_orders.net_gmv,
    positions.traffic_domain,
    positions.platform_order_seq,
    positions.shop_order_seq,
    positions.streamer_order_seq,
    positions.platform_order_seq >= 2 as is_platform_repurchase,
    positions.shop_order_seq >= 2 as is_shop_repurchase,
    coalesce(positions.streamer_order_seq >= 2, false) as is_streamer_repurchase
from counted_orders
inner join positions
    on counted_orders.order_id = positions.order_id

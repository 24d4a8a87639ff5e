-- Each counted order's traffic domain and its positions among its buyer's counted orders (in
-- the platform, the shop, the streamer): the part of fct_orders that needs the buyer's other
-- orders and follows. Kept apart from fct_orders, over the five columns it needs, so that each
-- statement has one large operator: at 100 M orders, the windows and the join back to the wide
-- rows in one statement needed more memory than DuckDB could spill on this machine (24 GiB).
--
-- Traffic domain: private when, at the moment of payment, the buyer followed the streamer who
-- sold the order (followed_from <= paid_at < followed_until); a follow after payment, or one
-- undone before it, does not count; orders without a streamer are public.
--
-- Positions are ordered by paid_at, ties broken by order_id; orders without a streamer have no
-- streamer position. bigint on every engine (row_number() is bigint in DuckDB, int in Spark).
--
-- Incremental, by buyer: a run recomputes the buyers in int_touched_buyers (a late first order
-- shifts all of the buyer's later positions; a follow event changes its follower's domains).
{{ config(**keyed_state(
    'order_id', pre_hook=["{{ delete_touched_buyers() }}"], deleted_first=true,
)) }}
-- depends_on: {{ ref('int_touched_buyers') }}

with counted_orders as {{ inlined_in_full_build() }} (
    select orders.order_id, orders.buyer_id, orders.shop_id, orders.streamer_id, orders.paid_at
    from (
        {{ rows_where(ref('int_orders_latest'), 'is_counted and ' ~ of_touched_buyers()) }}
    ) as orders
),

follow_at_payment as (
    select distinct counted_orders.order_id
    from counted_orders
    inner join {{ ref('int_follow_intervals') }} as follows
        on counted_orders.buyer_id = follows.follower_id
        and counted_orders.streamer_id = follows.streamer_id
        and follows.followed_from <= counted_orders.paid_at
        and (follows.followed_until is null or counted_orders.paid_at < follows.followed_until)
)

select
    counted_orders.order_id,
    counted_orders.buyer_id,
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

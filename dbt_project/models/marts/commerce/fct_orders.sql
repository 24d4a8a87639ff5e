-- One row per counted order (paid_at not null), in its latest version. The single place where an
-- order's GMV, traffic domain and repurchase position meet; every commerce mart aggregates this.
--
-- Its traffic domain (private when the buyer followed the selling streamer at the moment of
-- payment) and its positions in the buyer's counted orders (a repurchase is a 2nd or later order
-- in a scope) come from int_order_positions, which says how they are decided.
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

positions as (
    {{ rows_where(ref('int_order_positions'), of_touched_buyers()) }}
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
left join positions
    on counted_orders.order_id = positions.order_id

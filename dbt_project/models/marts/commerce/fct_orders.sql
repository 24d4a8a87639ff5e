-- One row per counted order (paid_at not null), in its latest version. The single place where an
-- order's GMV, traffic domain and repurchase position meet; every commerce mart aggregates this.
--
-- Incremental, by buyer: a run recomputes the orders of the buyers in int_touched_buyers, and
-- keeps those buyers' rows as they were before it (fct_orders__before) and as it left them
-- (fct_orders__after) for the models that restate what changed (macros/changed_rows.sql).
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

with orders as (
    {{ rows_where(ref('int_orders_attributed'), of_touched_buyers()) }}
),

sequences as (
    {{ rows_where(ref('int_order_sequences'), of_touched_buyers()) }}
)

select
    orders.order_id,
    orders.buyer_id,
    orders.shop_id,
    orders.streamer_id,
    orders.session_id,
    orders.product_id,
    orders.category,
    orders.entry_point,
    orders.status,
    orders.created_at,
    orders.paid_at,
    orders.paid_date,
    orders.gmv,
    orders.refund_amount,
    orders.net_gmv,
    orders.traffic_domain,
    sequences.platform_order_seq,
    sequences.shop_order_seq,
    sequences.streamer_order_seq,
    sequences.platform_order_seq >= 2 as is_platform_repurchase,
    sequences.shop_order_seq >= 2 as is_shop_repurchase,
    coalesce(sequences.streamer_order_seq >= 2, false) as is_streamer_repurchase
from orders
inner join sequences
    on orders.order_id = sequences.order_id

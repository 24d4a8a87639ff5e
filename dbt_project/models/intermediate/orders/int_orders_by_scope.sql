-- Each counted order once per scope it belongs to: the platform (scope_id 'all'), its shop, and
-- its streamer (orders without a streamer are not in any streamer scope). `scope_order_seq` is
-- the order's position among the buyer's counted orders in that scope, so a repurchase order is
-- one with scope_order_seq >= 2. Repurchase and private-domain marts aggregate this one model.
--
-- Incremental, by buyer: a run recomputes the orders of the buyers in int_touched_buyers.
{{ config(**keyed_state(
    ['scope', 'order_id'],
    pre_hook=["{{ record_rows_before(of_touched_buyers()) }}", "{{ delete_touched_buyers() }}"],
    post_hook=["{{ empty_rows_before() }}"],
    deleted_first=true,
)) }}
-- depends_on: {{ ref('int_touched_buyers') }}

with orders as (
    select
        attributed.order_id,
        attributed.buyer_id,
        attributed.shop_id,
        attributed.streamer_id,
        attributed.paid_at,
        attributed.paid_date,
        attributed.gmv,
        attributed.traffic_domain,
        sequences.platform_order_seq,
        sequences.shop_order_seq,
        sequences.streamer_order_seq
    from {{ ref('int_orders_attributed') }} as attributed
    inner join {{ ref('int_order_sequences') }} as sequences
        on attributed.order_id = sequences.order_id
    where {{ of_touched_buyers('attributed.buyer_id') }}
),

scoped as (
    select
        'platform' as scope,
        'all' as scope_id,
        platform_order_seq as scope_order_seq,
        *
    from orders
    union all
    select
        'shop' as scope,
        shop_id as scope_id,
        shop_order_seq as scope_order_seq,
        *
    from orders
    union all
    select
        'streamer' as scope,
        streamer_id as scope_id,
        streamer_order_seq as scope_order_seq,
        *
    from orders
    where streamer_id is not null
)

select
    scope,
    scope_id,
    order_id,
    buyer_id,
    paid_at,
    paid_date,
    {{ period_start('month', 'paid_date') }} as month_start,
    gmv,
    traffic_domain,
    scope_order_seq,
    scope_order_seq >= 2 as is_repurchase
from scoped

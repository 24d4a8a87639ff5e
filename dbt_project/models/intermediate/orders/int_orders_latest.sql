-- The latest version of each order (METRICS.md: the latest `updated_at` is the truth). Ties on
-- updated_at go to the later export, then the later file and row, so the choice is deterministic.
-- Adds the reporting-day columns and the order's money figures once, for every mart.
--
-- Incremental (state keyed by order_id): a run for a window of export dates recomputes exactly
-- the orders touched by it (a version exported in the window, or a stored latest version that
-- came from it), from all of their versions; an order a corrected re-export dropped disappears
-- (macros/export_window.sql). A refund exported days later thus restates the order, and every
-- mart built from this model restates the day the order was paid. The latest version is chosen
-- by a hash aggregate over the touched orders' versions only (macro deduplicate), never a sort.
-- The touched orders' rows are kept as they were before the run (int_orders_latest__before) and
-- as it left them (int_orders_latest__after): int_touched_buyers and int_changed_order_days read
-- them there instead of picking them out of the whole table again.
{{ config(**keyed_state(
    'order_id',
    pre_hook=[
        "{{ record_touched_orders() }}",
        "{{ record_rows_before(of_touched_keys('order_id')) }}",
        "{{ delete_touched_keys('order_id') }}",
    ],
    post_hook=[
        "{{ empty_rows_before() }}",
        "{{ record_rows_after(of_touched_keys('order_id')) }}",
    ],
    deleted_first=true,
)) }}

with versions as (
    select * from {{ ref('stg_platform__orders') }}
    where {{ when_incremental(of_touched_keys('order_id')) }}
),

latest as (
    {{ deduplicate(
        'versions', unique_by=['order_id'], latest_by=['updated_at'] + lineage_columns()
    ) }}
)

select
    order_id,
    buyer_id,
    shop_id,
    streamer_id,
    session_id,
    product_id,
    category,
    quantity,
    status,
    entry_point,
    created_at,
    paid_at,
    updated_at,
    exported_on,
    {{ reporting_date('created_at') }} as created_date,
    {{ reporting_date('paid_at') }} as paid_date,
    paid_at is not null as is_counted,
    item_amount,
    discount_amount,
    {{ money('item_amount - discount_amount') }} as placed_amount,
    {{ money('case when paid_at is not null then coalesce(paid_amount, 0) else 0 end') }}
        as gmv,
    {{ money('case when paid_at is not null then refund_amount else 0 end') }}
        as refund_amount,
    {{ money(
        'case when paid_at is not null then coalesce(paid_amount, 0) - refund_amount else 0 end'
    ) }} as net_gmv
from latest

-- Refunds as they were recorded: the change in an order's cumulative refund_amount from one
-- version to the next (the first version's change is its own refund), on the reporting day of
-- the version's updated_at. This is how a late refund is "also visible on the refund's own
-- day" (METRICS.md), while gmv_daily restates the paid day through the latest version.
--
-- Incremental, keyed by order_id: a run recomputes the events of the orders with a version
-- exported in the window or a stored event recorded by a version from it (a re-export that drops
-- a version changes the next version's refund change), from all of their versions. The touched
-- orders' events are kept as they were before the run and as it left them (<model>__before and
-- __after) for int_changed_order_days.
{{ config(**keyed_state(
    'order_id',
    pre_hook=[
        "{{ record_touched_keys(ref('stg_platform__orders'), 'order_id') }}",
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
    select
        order_id,
        updated_at,
        refund_amount,
        exported_on,
        lag(refund_amount) over (
            partition by order_id
            order by updated_at, exported_on, source_file, source_row
        ) as previous_refund_amount
    from {{ ref('stg_platform__orders') }}
    where {{ when_incremental(of_touched_keys('order_id')) }}
)

select
    order_id,
    updated_at as recorded_at,
    {{ reporting_date('updated_at') }} as recorded_date,
    {{ money('refund_amount - coalesce(previous_refund_amount, 0)') }} as refund_change,
    exported_on
from versions
where refund_amount != coalesce(previous_refund_amount, 0)

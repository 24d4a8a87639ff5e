-- Refunds as they were recorded: the change in an order's cumulative refund_amount from one
-- version to the next (the first version's change is its own refund), on the reporting day of
-- the version's updated_at. This is how a late refund is "also visible on the refund's own
-- day" (METRICS.md), while gmv_daily restates the paid day through the latest version.
with versions as (
    select
        order_id,
        updated_at,
        refund_amount,
        lag(refund_amount) over (
            partition by order_id
            order by updated_at, exported_on, source_file, source_row
        ) as previous_refund_amount
    from {{ ref('stg_platform__orders') }}
)

select
    order_id,
    updated_at as recorded_at,
    {{ reporting_date('updated_at') }} as recorded_date,
    {{ money('refund_amount - coalesce(previous_refund_amount, 0)') }} as refund_change
from versions
where refund_amount != coalesce(previous_refund_amount, 0)

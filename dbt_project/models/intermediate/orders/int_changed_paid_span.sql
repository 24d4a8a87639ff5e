-- One row: the first and last paid_at of the counted orders an incremental run added, removed or
-- moved (int_changed_paid_orders; a refund does not move an order), and the data's last paid_at
-- before and after the run (earlier_end <= later_end). trust_card_impact recomputes the
-- enablements whose windows these reach. All NULL after a full build, or when no order moved.
-- Tagged `bookkeeping`: not a business model, so the lower-bound script leaves it out.
{{ config(tags=['bookkeeping']) }}

with moved as (
    select paid_at from {{ ref('int_changed_paid_orders') }}
),

data_ends as (
    select
        (select max(paid_at) from {{ ref('fct_orders') }}) as end_after,
        (
            select max(paid_at) from (
                select orders.paid_at
                from {{ ref('fct_orders') }} as orders
                left join {{ ref('int_touched_buyers') }} as touched
                    on orders.buyer_id = touched.buyer_id
                where touched.buyer_id is null
                union all
                select paid_at from {{ rows_before(ref('fct_orders')) }}
            ) as unchanged_and_before
        ) as end_before
)

select
    (select min(paid_at) from moved) as first_moved_paid_at,
    (select max(paid_at) from moved) as last_moved_paid_at,
    least(end_before, end_after) as earlier_end,
    greatest(end_before, end_after) as later_end
from data_ends

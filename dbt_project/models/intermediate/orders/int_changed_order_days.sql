-- The reporting days whose daily order figures an incremental run changed: the paid days of the
-- counted orders it added, removed or changed (fct_orders), the created days of the orders whose
-- latest version changed (placed figures) and the recorded days of changed refund events. Only
-- rows that really changed count (macros/changed_rows.sql), so a late refund restates its paid
-- day and its recorded day, not every day of the buyer's history. Empty after a full build.
-- Tagged `bookkeeping`: not a business model, so the lower-bound script leaves it out.
{{ config(tags=['bookkeeping']) }}


select paid_date as day
from {{ ref('int_changed_orders') }}
union
select created_date as day
from ({{ changed_rows(ref('int_orders_latest'), 'order_id', after=true) }}) as changed
union
select recorded_date as day
from ({{ changed_rows(ref('int_order_refund_events'), 'order_id', after=true) }}) as changed

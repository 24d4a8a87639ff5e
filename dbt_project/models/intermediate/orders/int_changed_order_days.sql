-- The reporting days whose daily order figures an incremental run changed: the paid days of the
-- counted orders it added, removed or changed (fct_orders), the created days of the orders whose
-- latest version changed (placed figures) and the recorded days of changed refund events. Only
-- rows that really changed count (macros/changed_rows.sql), so a late refund restates its paid
-- day and its recorded day, not every day of the buyer's history. Empty after a full build.
-- Tagged `bookkeeping`: not a business model, so the lower-bound script leaves it out.
{{ config(tags=['bookkeeping']) }}

{%- set touched_buyers = 'slice.buyer_id in (select buyer_id from ' ~ ref('int_touched_buyers') ~ ')' %}
{%- set touched_orders -%}
    slice.order_id in (select order_id from {{ touched_keys_of(ref('int_orders_latest')) }})
{%- endset %}
{%- set touched_refunds -%}
    slice.order_id in (select order_id from {{ touched_keys_of(ref('int_order_refund_events')) }})
{%- endset %}

select paid_date as day
from ({{ changed_rows(ref('fct_orders'), touched_buyers) }}) as changed
union
select created_date as day
from ({{ changed_rows(ref('int_orders_latest'), touched_orders) }}) as changed
union
select recorded_date as day
from ({{ changed_rows(ref('int_order_refund_events'), touched_refunds) }}) as changed

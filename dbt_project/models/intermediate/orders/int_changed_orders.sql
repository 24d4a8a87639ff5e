-- The fct_orders rows an incremental run added, removed or changed, as they were before and as
-- they are after it (macros/changed_rows.sql): the touched buyers' rows compared once, for
-- int_changed_order_days and int_changed_sessions. Empty after a full build.
-- Tagged `bookkeeping`: not a business model, so the lower-bound script leaves it out.
{{ config(tags=['bookkeeping']) }}

select *
from ({{ changed_rows(ref('fct_orders'), 'buyer_id', after=true) }}) as changed

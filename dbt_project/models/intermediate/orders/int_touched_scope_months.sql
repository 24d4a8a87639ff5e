-- The (scope, scope_id, month) groups an incremental run changes in int_orders_by_scope: those
-- of its rows that this run added, removed or changed (macros/changed_rows.sql), so a buyer's
-- late order restates the groups it moves, not every group of the buyer's history. The marts
-- aggregated by scope and period recompute exactly these groups (and the periods that contain
-- them). Empty after a full build.
-- Tagged `bookkeeping`: not a business model, so the lower-bound script leaves it out.
{{ config(tags=['bookkeeping']) }}


select distinct changed.scope, changed.scope_id, changed.month_start
from (
    {{ changed_rows(ref('int_orders_by_scope'), 'buyer_id', ref('int_touched_buyers')) }}
) as changed

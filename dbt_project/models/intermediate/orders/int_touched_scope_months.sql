-- The (scope, scope_id, month) groups an incremental run changes in int_orders_by_scope: those
-- of the touched buyers' rows before the run (recorded by its pre-hook) and after it. The marts
-- aggregated by scope and period recompute these groups only. Empty after a full build.
-- Tagged `bookkeeping`: not a business model, so the lower-bound script leaves it out.
{{ config(tags=['partitioned', 'bookkeeping']) }}

select touched.scope, touched.scope_id, touched.month_start
from {{ touched_keys_of(ref('int_orders_by_scope')) }} as touched
union
select by_scope.scope, by_scope.scope_id, by_scope.month_start
from {{ ref('int_orders_by_scope') }} as by_scope
inner join {{ ref('int_touched_buyers') }} as buyers
    on by_scope.buyer_id = buyers.buyer_id

-- The (scope, scope_id, month) groups an incremental run changes in int_orders_by_scope: those
-- of its rows that this run added, removed or changed, so a buyer's late order restates the
-- groups it moves, not every group of the buyer's history. The touched buyers' scope rows
-- before the run (orders_by_scope over fct_orders__before) against theirs after it (over
-- fct_orders__after), compared on every column of int_orders_by_scope. The marts aggregated by
-- scope and period recompute exactly these groups (and the periods that contain them). Empty
-- after a full build.
-- Tagged `bookkeeping`: not a business model, so the lower-bound script leaves it out.
{{ config(tags=['bookkeeping']) }}

with before_run as (
    {{ orders_by_scope(rows_before(ref('fct_orders'))) }}
),

after_run as (
    {{ orders_by_scope(rows_after(ref('fct_orders'))) }}
)

select distinct changed.scope, changed.scope_id, changed.month_start
from (
    (
        select * from before_run
        except
        select * from after_run
    )
    union all
    (
        select * from after_run
        except
        select * from before_run
    )
) as changed

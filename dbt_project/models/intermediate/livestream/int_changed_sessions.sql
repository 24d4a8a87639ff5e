-- The livestream sessions whose figures an incremental run changed: sessions it added, removed
-- or changed, and the sessions of the counted orders it added, removed or changed (before and
-- after the change). fct_livestream_sessions and gmv_decomposition_monthly recompute them.
-- Empty after a full build.
-- Tagged `bookkeeping`: not a business model, so the lower-bound script leaves it out.
{{ config(tags=['bookkeeping']) }}


select changed.session_id
from ({{ changed_rows(ref('int_livestream_sessions'), 'session_id') }}) as changed
union
select changed.session_id
from {{ ref('int_changed_orders') }} as changed
where changed.session_id is not null

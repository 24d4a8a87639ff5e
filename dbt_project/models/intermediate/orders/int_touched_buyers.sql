-- The buyers an incremental run recomputes in the buyer-level models: the buyers of the orders
-- the window touched, as stored before the run (previous_buyer_id) and after it (its rows as the
-- run left them, int_orders_latest__after), and the followers whose follow events it touched
-- (their orders' traffic domain may change). Empty on a full build, when every model is built in
-- full anyway.
-- Tagged `bookkeeping`: not a business model, so the lower-bound script leaves it out.
{{ config(tags=['bookkeeping']) }}

select touched.previous_buyer_id as buyer_id
from {{ touched_keys_of(ref('int_orders_latest')) }} as touched
where touched.previous_buyer_id is not null
union
select orders.buyer_id
from {{ rows_after(ref('int_orders_latest')) }} as orders
union
select touched.follower_id as buyer_id
from {{ touched_keys_of(ref('int_follow_intervals')) }} as touched

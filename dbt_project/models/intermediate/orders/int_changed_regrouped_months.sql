-- The months in which an incremental run regrouped counted orders: it added, removed or moved
-- one (another paid month, buyer, shop, streamer, category, entry point or traffic domain), or
-- changed its GMV, or the month's fan tiers changed. In any other month the run changed at most
-- net GMV (a refund), so every slice of the month keeps its orders, buyers and GMV:
-- gmv_monthly_by_dimension recomputes these months from their orders and adds the net GMV the
-- run changed to the others. Empty after a full build.
-- Tagged `bookkeeping`: not a business model, so the lower-bound script leaves it out.
{{ config(tags=['bookkeeping']) }}

select {{ period_start('month', 'paid_date') }} as month_start
from ({{ changed_rows(
    ref('fct_orders'),
    'buyer_id',
    columns='order_id, buyer_id, shop_id, streamer_id, category, entry_point, traffic_domain, '
    ~ 'paid_date, gmv',
    after=true,
) }}) as changed
union
select month_start
from {{ touched_keys_of(ref('int_streamer_monthly_fan_tiers')) }}

-- The counted orders an incremental run added, removed or moved (another paid_at, shop or
-- buyer), as they were before it and as they are after it: fct_orders' touched-buyer rows
-- compared on these four columns only, so a refund or a status change is not a move. Pair
-- intervals and paid spans depend on nothing else (int_changed_paid_span, trust_card_impact).
-- Empty after a full build.
-- Tagged `bookkeeping`: not a business model, so the lower-bound script leaves it out.
{{ config(tags=['bookkeeping']) }}

select *
from ({{ changed_rows(
    ref('fct_orders'),
    'buyer_id',
    columns='order_id, shop_id, buyer_id, paid_at',
    after=true,
) }}) as changed

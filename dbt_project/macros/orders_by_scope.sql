{#-
  Each counted order once per scope it belongs to: the platform (scope_id 'all'), its shop, and
  its streamer (orders without a streamer are in no streamer scope), with the order's position
  among the buyer's counted orders in that scope (`scope_order_seq`; a repurchase has >= 2).

  `orders`: a relation with fct_orders' columns. int_orders_by_scope is this over fct_orders;
  an incremental run also takes it over fct_orders' rows of the touched buyers as they were
  before the run (fct_orders__before), so no copy of the scope rows is ever stored.

  It returns three selects joined by a bare `union all`. Beside another set operator
  (`except`, `union`) wrap it in parentheses or a CTE: set operators bind left to right, so
  `a except {{ orders_by_scope(b) }}` removes `a`'s rows from the platform scope only and then
  adds the shop and streamer rows.
-#}
{% macro orders_by_scope(orders) -%}
    {%- set scopes = [
        ('platform', "'all'", 'platform_order_seq'),
        ('shop', 'shop_id', 'shop_order_seq'),
        ('streamer', 'streamer_id', 'streamer_order_seq'),
    ] -%}
    {%- for scope, scope_id, sequence in scopes %}
    select
        '{{ scope }}' as scope,
        {{ scope_id }} as scope_id,
        orders.order_id,
        orders.buyer_id,
        orders.paid_at,
        orders.paid_date,
        {{ period_start('month', 'orders.paid_date') }} as month_start,
        orders.gmv,
        orders.traffic_domain,
        orders.{{ sequence }} as scope_order_seq,
        orders.{{ sequence }} >= 2 as is_repurchase
    from {{ orders }} as orders
    {%- if scope == 'streamer' %}
    where orders.streamer_id is not null
    {%- endif %}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

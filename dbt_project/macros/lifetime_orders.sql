{#- A dimension's lifetime order figures, one row per `entity` (shop, streamer) with a counted
    order, keyed `<entity>_id`: counted orders, distinct buyers, GMV, net GMV, private-domain
    GMV, first and last paid day, summed over the entity's months in
    int_lifetime_orders_monthly. `lifetime_order_columns` selects them from that relation, zero
    when none. -#}
{% macro lifetime_orders(entity) -%}
    select
        entity_id as {{ entity }}_id,
        sum(orders) as orders,
        sum(buyers) as buyers,
        sum(gmv) as gmv,
        sum(net_gmv) as net_gmv,
        sum(private_gmv) as private_gmv,
        min(first_paid_date) as first_paid_date,
        max(last_paid_date) as last_paid_date
    from {{ ref('int_lifetime_orders_monthly') }}
    where entity = '{{ entity }}'
    group by entity_id
{%- endmacro %}

{% macro lifetime_order_columns(relation) -%}
    {{ relation }}.first_paid_date,
    {{ relation }}.last_paid_date,
    cast(coalesce({{ relation }}.orders, 0) as {{ dbt.type_bigint() }}) as orders,
    cast(coalesce({{ relation }}.buyers, 0) as {{ dbt.type_bigint() }}) as buyers,
    {{ money('coalesce(' ~ relation ~ '.gmv, 0)') }} as gmv,
    {{ money('coalesce(' ~ relation ~ '.net_gmv, 0)') }} as net_gmv,
    {{ money('coalesce(' ~ relation ~ '.private_gmv, 0)') }} as private_gmv
{%- endmacro %}

{#- Each order of `orders` (a relation or subquery with fct_orders' columns and a `sign`) once per
    entity of int_lifetime_orders_monthly it belongs to: its shop, and its streamer if it has
    one, with its paid month and whether it is its buyer's first order in that scope. -#}
{% macro lifetime_entity_orders(orders) -%}
    {%- set scopes = [('shop', 'shop_id', 'shop_order_seq'),
                      ('streamer', 'streamer_id', 'streamer_order_seq')] -%}
    {%- for entity, entity_id, sequence in scopes %}
    select
        '{{ entity }}' as entity,
        orders.{{ entity_id }} as entity_id,
        {{ period_start('month', 'orders.paid_date') }} as month_start,
        orders.sign,
        orders.order_id,
        orders.paid_date,
        orders.gmv,
        orders.net_gmv,
        orders.traffic_domain,
        orders.{{ sequence }} = 1 as is_first_in_scope
    from {{ orders }} as orders
    where orders.{{ entity_id }} is not null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{#- The signed figures of int_lifetime_orders_monthly per entity and month of `entity_orders`
    (rows of lifetime_entity_orders), with the first and last paid day of its added (+1) rows. -#}
{% macro lifetime_month_figures(entity_orders) -%}
    select
        entity,
        entity_id,
        month_start,
        sum(sign) as orders,
        sum(case when is_first_in_scope then sign else 0 end) as buyers,
        sum(sign * gmv) as gmv,
        sum(sign * net_gmv) as net_gmv,
        sum(case when traffic_domain = 'private' then sign * gmv else 0 end) as private_gmv,
        min(case when sign = 1 then paid_date end) as first_paid_date,
        max(case when sign = 1 then paid_date end) as last_paid_date
    from {{ entity_orders }}
    group by entity, entity_id, month_start
{%- endmacro %}

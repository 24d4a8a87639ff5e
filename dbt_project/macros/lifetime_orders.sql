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

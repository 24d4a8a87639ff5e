{#- A dimension's lifetime order figures, one row per `entity` (shop_id, streamer_id) of
    fct_orders: counted orders, distinct buyers, GMV, net GMV, private-domain GMV, first and last
    paid day. `lifetime_order_columns` selects them from that relation, zero when none. -#}
{% macro lifetime_orders(entity) -%}
    select
        {{ entity }},
        count(*) as orders,
        count(distinct buyer_id) as buyers,
        sum(gmv) as gmv,
        sum(net_gmv) as net_gmv,
        sum(case when traffic_domain = 'private' then gmv else 0 end) as private_gmv,
        min(paid_date) as first_paid_date,
        max(paid_date) as last_paid_date
    from {{ ref('fct_orders') }}
    where {{ entity }} is not null
    group by {{ entity }}
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

-- The monthly pieces of dim_shops' and dim_streamers' lifetime order figures: per shop and per
-- streamer and paid month, the counted orders, the buyers, GMV, net GMV, private-domain GMV and
-- the first and last paid day. Every figure adds up over the months (macro lifetime_orders):
-- a buyer counts in the month of their first order in that shop or streamer scope
-- (shop_order_seq or streamer_order_seq = 1), so the sum over months is the distinct buyers.
--
-- Incremental, by month: a run recomputes the months in int_changed_months, which hold every
-- paid month of an fct_orders row it added, removed or changed (positions included), so the
-- dimensions no longer aggregate the whole order history on every run.
{{ config(**keyed_state(
    ['entity', 'entity_id', 'month_start'],
    pre_hook=["{{ delete_matching(ref('int_changed_months'), ['month_start']) }}"],
    deleted_first=true,
)) }}
{%- set changed = 'select month_start from ' ~ ref('int_changed_months') %}
{%- set scopes = [('shop', 'shop_id', 'shop_order_seq'),
                  ('streamer', 'streamer_id', 'streamer_order_seq')] %}

with orders as (
    {{ orders_paid_in_months(ref('fct_orders'), changed) }}
)

{% for entity, entity_id, sequence in scopes %}
    select
        '{{ entity }}' as entity,
        {{ entity_id }} as entity_id,
        month_start,
        count(*) as orders,
        count(case when {{ sequence }} = 1 then 1 end) as buyers,
        sum(gmv) as gmv,
        sum(net_gmv) as net_gmv,
        sum(case when traffic_domain = 'private' then gmv else 0 end) as private_gmv,
        min(paid_date) as first_paid_date,
        max(paid_date) as last_paid_date
    from orders
    where {{ entity_id }} is not null
    group by {{ entity_id }}, month_start
    {% if not loop.last %}union all{% endif %}
{% endfor %}

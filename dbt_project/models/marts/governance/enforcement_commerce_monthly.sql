-- Enforcement beside commerce: each month's GMV and the part sold by shops or streamers that
-- received a `penalty` action in the same month (an order counts once even if both were).
--
-- Incremental, by month: a run recomputes the months in int_changed_months.
{%- set changed = 'select month_start from ' ~ ref('int_changed_months') %}
{{ config(**keyed_state('month_start', recompute_in='int_changed_months')) }}

with penalised as (
    select distinct
        {{ period_start('month', 'action_date') }} as month_start,
        target_type,
        target_id
    from {{ ref('fct_enforcement_actions') }}
    where action_type = 'penalty' and target_type in ('shop', 'streamer')
        and {{ in_months(period_start('month', 'action_date'), changed) }}
),

orders as (
    select
        orders.order_id,
        orders.gmv,
        {{ period_start('month', 'orders.paid_date') }} as month_start,
        orders.shop_id,
        orders.streamer_id
    from {{ ref('fct_orders') }} as orders
    where {{ in_months(period_start('month', 'orders.paid_date'), changed) }}
),

flagged as (
    -- penalised is distinct per (month, target), so these joins never duplicate an order.
    select
        orders.month_start,
        orders.gmv,
        penalised_shops.target_id is not null
        or penalised_streamers.target_id is not null as is_penalised
    from orders
    left join penalised as penalised_shops
        on orders.month_start = penalised_shops.month_start
        and penalised_shops.target_type = 'shop'
        and orders.shop_id = penalised_shops.target_id
    left join penalised as penalised_streamers
        on orders.month_start = penalised_streamers.month_start
        and penalised_streamers.target_type = 'streamer'
        and orders.streamer_id = penalised_streamers.target_id
)

select
    month_start,
    {{ money('sum(gmv)') }} as gmv,
    {{ money('sum(case when is_penalised then gmv else 0 end)') }} as penalised_gmv,
    {{ safe_rate('sum(case when is_penalised then gmv else 0 end)', 'sum(gmv)') }}
        as penalised_gmv_share
from flagged
group by month_start

-- GMV per month sliced by one dimension at a time (platform, shop, streamer, category,
-- entry point, traffic domain, fan tier), with the same slice's prior month and the same month
-- a year before, so growth is always shown with both periods' values.
{%- set dimensions = {
    'platform': "'all'",
    'shop': 'orders.shop_id',
    'streamer': "coalesce(orders.streamer_id, 'none')",
    'category': 'orders.category',
    'entry_point': 'orders.entry_point',
    'traffic_domain': 'orders.traffic_domain',
    'fan_tier': "case when orders.streamer_id is null then 'none' "
                ~ "else coalesce(orders.fan_tier, 'unknown') end",
} %}
{#- Incremental, by month: a run aggregates the orders of the changed months
    (int_changed_months) only, and rewrites those months and the months whose prior-month or
    prior-year figures they are. Every other month's own figures are carried forward as stored
    (`<model>__before`, copied by the first pre-hook before the second deletes): a month the
    run did not change has the figures it had. -#}
{%- set changed = months_shifted(ref('int_changed_months'), [0]) %}
{%- set recomputed = months_shifted(ref('int_changed_months'), [0, 1, 12]) %}
{{ config(**keyed_state(
    ['month_start', 'dimension', 'dimension_value'],
    pre_hook=[
        "{{ record_rows_before(
            'month_start in ('
            ~ months_shifted(ref('int_changed_months'), [-12, -11, -1, 1, 11, 12])
            ~ ') and month_start not in ('
            ~ months_shifted(ref('int_changed_months'), [0]) ~ ')'
        ) }}",
        "{{ delete_where(
            'month_start in (' ~ months_shifted(ref('int_changed_months'), [0, 1, 12]) ~ ')'
        ) }}",
    ],
    post_hook=["{{ empty_rows_before() }}"],
    deleted_first=true,
)) }}
-- depends_on: {{ ref('int_changed_months') }}

with orders as (
    {{ orders_paid_in_months(ref('int_orders_attributed'), changed) }}
),

orders_with_tier as (
    select
        orders.*,
        tiers.fan_tier
    from orders
    left join {{ ref('int_streamer_monthly_fan_tiers') }} as tiers
        on orders.streamer_id = tiers.streamer_id
        and orders.month_start = tiers.month_start
),

aggregated as (
    {%- for dimension, value in dimensions.items() %}
        select
            orders.month_start,
            '{{ dimension }}' as dimension,
            {{ value }} as dimension_value,
            count(*) as orders,
            count(distinct orders.buyer_id) as buyers,
            sum(orders.gmv) as gmv,
            sum(orders.net_gmv) as net_gmv
        from orders_with_tier as orders
        group by orders.month_start, {{ value }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

sliced as (
    select * from aggregated
    {%- if is_incremental() %}
        union all
        select month_start, dimension, dimension_value, orders, buyers, gmv, net_gmv
        from {{ rows_before(this) }}
    {%- endif %}
)

select
    current_period.month_start,
    current_period.dimension,
    current_period.dimension_value,
    {{ money('current_period.gmv') }} as gmv,
    {{ money('current_period.net_gmv') }} as net_gmv,
    current_period.orders,
    current_period.buyers,
    {{ money('prior_month.gmv') }} as prior_month_gmv,
    {{ money('prior_year.gmv') }} as prior_year_gmv,
    case
        when prior_month.gmv > 0 then cast(current_period.gmv as double) / prior_month.gmv - 1
    end as mom_growth,
    case
        when prior_year.gmv > 0 then cast(current_period.gmv as double) / prior_year.gmv - 1
    end as yoy_growth
from sliced as current_period
left join sliced as prior_month
    on current_period.dimension = prior_month.dimension
    and current_period.dimension_value = prior_month.dimension_value
    and prior_month.month_start = {{ dbt.dateadd('month', -1, 'current_period.month_start') }}
left join sliced as prior_year
    on current_period.dimension = prior_year.dimension
    and current_period.dimension_value = prior_year.dimension_value
    and prior_year.month_start = {{ dbt.dateadd('month', -12, 'current_period.month_start') }}
where {{ in_months('current_period.month_start', recomputed) }}

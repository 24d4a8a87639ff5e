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
{#- Incremental, by month: a run rewrites the changed months (int_changed_months) and the months
    whose prior-month or prior-year figures they are. It aggregates the orders of the months in
    which it regrouped orders (int_changed_regrouped_months) only; in the other changed months
    every slice kept its orders, buyers and GMV, and the run adds to the stored net GMV what it
    changed: the touched buyers' orders after the run (fct_orders__after) less before it
    (fct_orders__before). Every other month's own figures are carried forward as stored
    (`<model>__before`, copied by the first pre-hook before the second deletes). -#}
{%- set changed = months_shifted(ref('int_changed_months'), [0]) %}
{%- set regrouped = 'select month_start from ' ~ ref('int_changed_regrouped_months') %}
{%- set recomputed = months_shifted(ref('int_changed_months'), [0, 1, 12]) %}
{%- set columns = 'orders.month_start, orders.buyer_id, orders.shop_id, orders.streamer_id, '
    ~ 'orders.category, orders.entry_point, orders.traffic_domain, orders.gmv, orders.net_gmv' %}
{{ config(**keyed_state(
    ['month_start', 'dimension', 'dimension_value'],
    pre_hook=[
        "{{ record_rows_before(
            'month_start in ('
            ~ months_shifted(ref('int_changed_months'), [-12, -11, -1, 0, 1, 11, 12])
            ~ ') and month_start not in (select month_start from '
            ~ ref('int_changed_regrouped_months') ~ ')'
        ) }}",
        "{{ delete_where(
            'month_start in (' ~ months_shifted(ref('int_changed_months'), [0, 1, 12]) ~ ')'
        ) }}",
    ],
    post_hook=["{{ empty_rows_before() }}"],
    deleted_first=true,
)) }}
-- depends_on: {{ ref('int_changed_months') }}
-- depends_on: {{ ref('int_changed_regrouped_months') }}
-- depends_on: {{ ref('fct_orders') }}

-- The orders aggregated whole ('whole'): every counted order on a full build, those paid in the
-- regrouped months otherwise. In an incremental run also the touched buyers' orders paid in the
-- other changed months, after the run (+1) and before it (-1), for their net GMV ('change').
-- Read once per dimension: on a full build each reader scans fct_orders itself (held whole,
-- these rows stopped a 100 M-order build at its 16 GB spill cap; inlined_in_full_build).
with orders as {{ inlined_in_full_build() }} (
    select
        'whole' as basis,
        1 as sign,
        {{ columns }}
    from ({{ orders_paid_in_months(ref('fct_orders'), regrouped) }}) as orders
    {%- if is_incremental() %}
        {%- for version, sign in [
            (rows_after(ref('fct_orders')), 1), (rows_before(ref('fct_orders')), -1)
        ] %}
            union all
            select
                'change' as basis,
                {{ sign }} as sign,
                {{ columns }}
            from ({{ orders_paid_in_months(version, changed) }}) as orders
            where orders.month_start not in ({{ regrouped }})
        {%- endfor %}
    {%- endif %}
),

orders_with_tier as {{ inlined_in_full_build() }} (
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
            orders.basis,
            orders.month_start,
            '{{ dimension }}' as dimension,
            {{ value }} as dimension_value,
            count(*) as orders,
            count(distinct orders.buyer_id) as buyers,
            sum(orders.gmv) as gmv,
            sum(case when orders.sign = 1 then orders.net_gmv else -orders.net_gmv end)
                as net_gmv
        from orders_with_tier as orders
        group by orders.basis, orders.month_start, {{ value }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

sliced as (
    select month_start, dimension, dimension_value, orders, buyers, gmv, net_gmv
    from aggregated
    where basis = 'whole'
    {%- if is_incremental() %}
        union all
        select
            stored.month_start,
            stored.dimension,
            stored.dimension_value,
            stored.orders,
            stored.buyers,
            stored.gmv,
            stored.net_gmv + coalesce(changes.net_gmv, 0) as net_gmv
        from {{ rows_before(this) }} as stored
        left join aggregated as changes
            on changes.basis = 'change'
            and stored.month_start = changes.month_start
            and stored.dimension = changes.dimension
            and stored.dimension_value = changes.dimension_value
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

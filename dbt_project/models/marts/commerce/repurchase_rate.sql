-- repeat_purchase_rate (METRICS.md): for a period and a scope, buyers with >= 2 counted orders
-- in the period within the scope / buyers with >= 1. One row per period grain (month, quarter,
-- year), period start, scope and scope id; periods with no buyers have no row.
--
-- Incremental: a run recomputes the (grain, period, scope) groups in int_touched_scope_periods.
{%- set grains = ['month', 'quarter', 'year'] %}
{{ config(**keyed_state(
    ['period_grain', 'period_start', 'scope', 'scope_id'],
    recompute_in='int_touched_scope_periods',
)) }}

with orders as (
    select
        scope,
        scope_id,
        buyer_id,
    {%- for grain in grains %}
        {{ period_start(grain, 'paid_date') }} as {{ grain }}_start{{ "," if not loop.last }}
    {%- endfor %}
    from {{ ref('int_orders_by_scope') }}
),

buyer_periods as (
    {%- for grain in grains %}
        select
            '{{ grain }}' as period_grain,  -- noqa: LT02
            orders.{{ grain }}_start as period_start,  -- noqa: LT02
            orders.scope,
            orders.scope_id,
            orders.buyer_id,
            count(*) as counted_orders
        from orders
        {%- if is_incremental() %}
            inner join {{ ref('int_touched_scope_periods') }} as touched
                on touched.period_grain = '{{ grain }}'
                and orders.{{ grain }}_start = touched.period_start
                and orders.scope = touched.scope
                and orders.scope_id = touched.scope_id
        {%- endif %}
        group by orders.{{ grain }}_start, orders.scope, orders.scope_id, orders.buyer_id
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select
    period_grain,
    period_start,
    scope,
    scope_id,
    count(*) as buyers,
    count(case when counted_orders >= 2 then 1 end) as repeat_buyers,
    {{ safe_rate('count(case when counted_orders >= 2 then 1 end)', 'count(*)') }}
        as repeat_purchase_rate
from buyer_periods
group by period_grain, period_start, scope, scope_id

-- private_domain_share and repurchase_private_share (METRICS.md) per month and scope. Private
-- domain is decided point in time in int_orders_attributed; a repurchase order is a 2nd or later
-- counted order of the buyer within the scope.
--
-- Incremental: a run recomputes the (month, scope) groups in int_touched_scope_months.
{{ config(**keyed_state(
    ['month_start', 'scope', 'scope_id'], recompute_in='int_touched_scope_months'
)) }}

with orders as (
    select by_scope.*
    from {{ ref('int_orders_by_scope') }} as by_scope
    where {{ when_incremental(matches_a_row_of(
        ref('int_touched_scope_months'), 'by_scope', ['scope', 'scope_id', 'month_start']
    )) }}
)

select
    month_start,
    scope,
    scope_id,
    {{ money('sum(gmv)') }} as gmv,
    {{ money("sum(case when traffic_domain = 'private' then gmv else 0 end)") }}
        as private_gmv,
    {{ safe_rate("sum(case when traffic_domain = 'private' then gmv else 0 end)", 'sum(gmv)') }}
        as private_domain_share,
    count(*) as orders,
    count(case when traffic_domain = 'private' then 1 end) as private_orders,
    {{ safe_rate("count(case when traffic_domain = 'private' then 1 end)", 'count(*)') }}
        as private_order_share,
    count(case when is_repurchase then 1 end) as repurchase_orders,
    count(case when is_repurchase and traffic_domain = 'private' then 1 end)
        as private_repurchase_orders,
    {{ safe_rate(
        "count(case when is_repurchase and traffic_domain = 'private' then 1 end)",
        'count(case when is_repurchase then 1 end)'
    ) }} as repurchase_private_share
from orders
group by month_start, scope, scope_id

-- repeat_purchase_rate (METRICS.md): for a period and a scope, buyers with >= 2 counted orders
-- in the period within the scope / buyers with >= 1. One row per period grain (month, quarter,
-- year), period start, scope and scope id; periods with no buyers have no row.
--
-- Incremental: a run adds the touched buyers' change to the counts of their groups
-- (macro buyer_counts); groups left without buyers are deleted.
{%- set grains = ['month', 'quarter', 'year'] %}
{{ config(**keyed_state(
    ['period_grain', 'period_start', 'scope', 'scope_id'],
    post_hook=["{{ delete_where('buyers = 0') }}"],
)) }}
-- depends_on: {{ ref('int_touched_buyers') }}

-- One aggregate per grain and scope: a buyer's groups never span scopes, and at 100 M orders
-- one aggregate per grain over all three scopes stopped the build at a 16 GB spill cap, where
-- these nine took 211 s without spilling (docs/benchmarks.md, session 31).
-- noqa: disable=LT02
{%- set buyer_periods -%}
    {%- for grain in grains %}
    {%- set grain_loop = loop %}
    {%- for scope in ['platform', 'shop', 'streamer'] %}
    select
        '{{ grain }}' as period_grain,
        period_start,
        scope,
        scope_id,
        buyer_id,
        1 as buyers,
        case when count(*) >= 2 then 1 else 0 end as repeat_buyers
    from (
        select
            {{ period_start(grain, 'orders.paid_date') }} as period_start,
            orders.scope,
            orders.scope_id,
            orders.buyer_id
        from __ORDERS__ as orders
        where orders.scope = '{{ scope }}'
    ) as in_period
    group by period_start, scope, scope_id, buyer_id
    {%- if not (loop.last and grain_loop.last) %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- endfor %}
{%- endset %}
-- noqa: enable=LT02

with counts as (
    {{ buyer_counts(
        buyer_periods,
        ['period_grain', 'period_start', 'scope', 'scope_id'],
        ['buyers', 'repeat_buyers'],
    ) }}
)

select
    period_grain,
    period_start,
    scope,
    scope_id,
    buyers,
    repeat_buyers,
    {{ safe_rate('repeat_buyers', 'buyers') }} as repeat_purchase_rate
from counts

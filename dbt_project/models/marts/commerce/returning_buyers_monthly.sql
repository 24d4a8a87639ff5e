-- returning_buyer_share (METRICS.md): of the buyers with a counted order in month M in a scope,
-- the share who had a counted order in the same scope in the 12 calendar months before M
-- (month_start - 12 months <= earlier order's month < M).
--
-- Incremental: a run adds the touched buyers' change to the counts of their months
-- (macro buyer_counts); months left without buyers are deleted.
{{ config(**keyed_state(
    ['month_start', 'scope', 'scope_id'],
    post_hook=["{{ delete_where('buyers = 0') }}"],
)) }}
-- depends_on: {{ ref('int_touched_buyers') }}

{%- set buyer_months -%}
    select
        month_start,
        scope,
        scope_id,
        1 as buyers,
        case
            when lag(month_start) over (
                partition by scope, scope_id, buyer_id order by month_start
            ) >= {{ dbt.dateadd('month', -12, 'month_start') }}
                then 1
            else 0
        end as returning_buyers
    from (
        select distinct
            orders.scope,
            orders.scope_id,
            orders.buyer_id,
            orders.month_start
        from __ORDERS__ as orders
    ) as active_months
{%- endset %}

with counts as (
    {{ buyer_counts(
        buyer_months, ['month_start', 'scope', 'scope_id'], ['buyers', 'returning_buyers']
    ) }}
)

select
    month_start,
    scope,
    scope_id,
    buyers,
    returning_buyers,
    {{ safe_rate('returning_buyers', 'buyers') }} as returning_buyer_share
from counts

-- returning_buyer_share (METRICS.md): of the buyers with a counted order in month M in a scope,
-- the share who had a counted order in the same scope in the 12 calendar months before M
-- (month_start - 12 months <= earlier order's month < M).
with buyer_months as (
    select distinct
        scope,
        scope_id,
        buyer_id,
        month_start
    from {{ ref('int_orders_by_scope') }}
),

with_previous as (
    select
        scope,
        scope_id,
        buyer_id,
        month_start,
        lag(month_start) over (
            partition by scope, scope_id, buyer_id order by month_start
        ) as previous_month_start
    from buyer_months
),

flagged as (
    select
        scope,
        scope_id,
        month_start,
        previous_month_start >= {{ dbt.dateadd('month', -12, 'month_start') }} as is_returning
    from with_previous
)

select
    month_start,
    scope,
    scope_id,
    count(*) as buyers,
    count(case when is_returning then 1 end) as returning_buyers,
    {{ safe_rate('count(case when is_returning then 1 end)', 'count(*)') }} as returning_buyer_share
from flagged
group by month_start, scope, scope_id

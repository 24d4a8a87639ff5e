-- returning_buyer_share (METRICS.md): of the buyers with a counted order in month M in a scope,
-- the share who had a counted order in the same scope in the 12 calendar months before M
-- (month_start - 12 months <= earlier order's month < M).
--
-- Incremental: a run recomputes the rows in int_touched_returning_months (each touched
-- scope-month and the 12 after it), from the scope's buyer-months of those months and the 12
-- before the earliest of them.
{{ config(**keyed_state(
    ['month_start', 'scope', 'scope_id'], recompute_in='int_touched_returning_months'
)) }}

{% if is_incremental() %}
    with touched_ranges as (
        select
            scope,
            scope_id,
            {{ dbt.dateadd('month', -12, 'min(month_start)') }} as from_month,
            max(month_start) as to_month
        from {{ ref('int_touched_returning_months') }}
        group by scope, scope_id
    ),

    buyer_months as (
        select distinct
            by_scope.scope,
            by_scope.scope_id,
            by_scope.buyer_id,
            by_scope.month_start
        from {{ ref('int_orders_by_scope') }} as by_scope
        inner join touched_ranges
            on by_scope.scope = touched_ranges.scope
            and by_scope.scope_id = touched_ranges.scope_id
            and by_scope.month_start between touched_ranges.from_month and touched_ranges.to_month
    ),
{% else %}
    with buyer_months as (
        select distinct
            scope,
            scope_id,
            buyer_id,
            month_start
        from {{ ref('int_orders_by_scope') }}
    ),
{% endif %}

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
    where {{ when_incremental(matches_a_row_of(
        ref('int_touched_returning_months'), 'with_previous', ['scope', 'scope_id', 'month_start']
    )) }}
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

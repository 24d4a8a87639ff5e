-- Cohort retention per scope: of the buyers whose first counted order in the scope falls in
-- month M, the share with another counted order in the scope within 30, 90 and 180 days of the
-- first. A window counts only once it has elapsed for the whole cohort (end of M + N days <= the
-- last paid day in the data); until then both the count and the rate are NULL, never too low.
--
-- Incremental, by cohort: a run recomputes the cohorts in int_touched_cohorts.
{%- set windows = [30, 90, 180] %}
{{ config(**keyed_state(
    ['cohort_month', 'scope', 'scope_id'], recompute_in='int_touched_cohorts'
)) }}

with firsts as (
    select
        by_scope.scope,
        by_scope.scope_id,
        by_scope.buyer_id,
        by_scope.paid_at as first_paid_at,
        by_scope.month_start as cohort_month
    from {{ ref('int_orders_by_scope') }} as by_scope
    where
        by_scope.scope_order_seq = 1
        and {{ when_incremental(matches_a_row_of(
            ref('int_touched_cohorts'), 'by_scope',
            ['scope', 'scope_id', ['month_start', 'cohort_month']],
        )) }}
),

seconds as (
    select
        scope,
        scope_id,
        buyer_id,
        paid_at as second_paid_at
    from {{ ref('int_orders_by_scope') }}
    where scope_order_seq = 2
),

data_end as (
    select max(paid_date) as last_paid_date
    from {{ ref('int_orders_by_scope') }}
),

buyers as (
    select
        firsts.scope,
        firsts.scope_id,
        firsts.cohort_month,
    {%- for days in windows %}
        case
            when seconds.second_paid_at
                <= {{ dbt.dateadd('day', days, 'firsts.first_paid_at') }}
                then 1
            else 0
        end as retained_{{ days }}d{{ "," if not loop.last }}
    {%- endfor %}
    from firsts
    left join seconds
        on firsts.scope = seconds.scope
        and firsts.scope_id = seconds.scope_id
        and firsts.buyer_id = seconds.buyer_id
),

cohorts as (
    select
        scope,
        scope_id,
        cohort_month,
        count(*) as cohort_buyers,
    {%- for days in windows %}
        cast(sum(retained_{{ days }}d) as {{ dbt.type_bigint() }})
            as retained_{{ days }}d_all{{ "," if not loop.last }}
    {%- endfor %}
    from buyers
    group by scope, scope_id, cohort_month
)

select
    cohorts.cohort_month,
    cohorts.scope,
    cohorts.scope_id,
    cohorts.cohort_buyers,
{%- for days in windows %}
    {%- set elapsed -%}
        {{ dbt.dateadd('day', days, dbt.last_day('cohorts.cohort_month', 'month')) }}
        <= data_end.last_paid_date
    {%- endset %}
    case when {{ elapsed }} then cohorts.retained_{{ days }}d_all end as retained_{{ days }}d,
    case
        when {{ elapsed }}
            then {{ safe_rate('cohorts.retained_' ~ days ~ 'd_all', 'cohorts.cohort_buyers') }}
    end as retention_{{ days }}d{{ "," if not loop.last }}
{%- endfor %}
from cohorts
cross join data_end

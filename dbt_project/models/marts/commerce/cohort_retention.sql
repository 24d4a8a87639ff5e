-- Cohort retention per scope: of the buyers whose first counted order in the scope falls in
-- month M, the share with another counted order in the scope within 30, 90 and 180 days of the
-- first. A window counts only once it has elapsed for the whole cohort (end of M + N days <= the
-- last paid day in the data); until then both the count and the rate are NULL, never too low.
--
-- Rebuilt in full each run from int_cohort_counts (one row per scope and cohort month), which
-- keeps the counts incrementally: a run that moves the last paid day may close or reopen the
-- window of any cohort, so the masking is redone for every row.
{%- set windows = [30, 90, 180] %}

with cohorts as (
    select
        scope,
        scope_id,
        cohort_month,
        buyers as cohort_buyers,
    {%- for days in windows %}
        retained_{{ days }}d as retained_{{ days }}d_all{{ "," if not loop.last }}
    {%- endfor %}
    from {{ ref('int_cohort_counts') }}
),

data_end as (
    select max(paid_date) as last_paid_date
    from {{ ref('fct_orders') }}
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

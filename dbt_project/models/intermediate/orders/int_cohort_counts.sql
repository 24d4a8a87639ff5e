-- Cohort retention's counts, unmasked: per scope and cohort month (the month of a buyer's first
-- counted order in the scope), the cohort's buyers and those whose second counted order in the
-- scope came within 30, 90 and 180 days of the first. cohort_retention masks the windows that
-- have not elapsed yet.
--
-- Incremental: a run adds the touched buyers' change to the counts of their cohorts (macro
-- buyer_counts); cohorts left without buyers are deleted.
{%- set windows = [30, 90, 180] %}
{{ config(**keyed_state(
    ['scope', 'scope_id', 'cohort_month'],
    post_hook=["{{ delete_where('buyers = 0') }}"],
)) }}
-- depends_on: {{ ref('int_touched_buyers') }}

{%- set buyer_cohorts -%}
    select
        firsts.scope,
        firsts.scope_id,
        firsts.month_start as cohort_month,
        1 as buyers,
    {%- for days in windows %}
        case
            when seconds.paid_at <= {{ dbt.dateadd('day', days, 'firsts.paid_at') }} then 1
            else 0
        end as retained_{{ days }}d{{ "," if not loop.last }}
    {%- endfor %}
    from __ORDERS__ as firsts
    left join __ORDERS__ as seconds
        on firsts.scope = seconds.scope
        and firsts.scope_id = seconds.scope_id
        and firsts.buyer_id = seconds.buyer_id
        and seconds.scope_order_seq = 2
    where firsts.scope_order_seq = 1
{%- endset %}

{{ buyer_counts(
    buyer_cohorts,
    ['scope', 'scope_id', 'cohort_month'],
    ['buyers', 'retained_30d', 'retained_90d', 'retained_180d'],
) }}

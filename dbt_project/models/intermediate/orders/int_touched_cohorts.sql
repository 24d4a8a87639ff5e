-- The (scope, scope_id, cohort month) cohorts of cohort_retention an incremental run recomputes:
-- the cohorts, before and after the run, of each buyer with an int_orders_by_scope row in the
-- scope that the run added, removed or changed, and every cohort one of whose 30/90/180-day
-- windows closed or reopened because the data's last paid day moved (a window counts once
-- last_day(cohort month) + N days <= the last paid day). Empty after a full build.
-- Tagged `bookkeeping`: not a business model, so the lower-bound script leaves it out.
{%- set windows = [30, 90, 180] %}
{{ config(tags=['bookkeeping']) }}


with changed_pairs as (
    select distinct changed.scope, changed.scope_id, changed.buyer_id
    from (
        {{ changed_rows(ref('int_orders_by_scope'), 'buyer_id', ref('int_touched_buyers')) }}
    ) as changed
),

pair_cohorts as (
    select firsts.scope, firsts.scope_id, firsts.month_start as cohort_month
    from {{ rows_before(ref('int_orders_by_scope')) }} as firsts
    inner join changed_pairs
        on firsts.scope = changed_pairs.scope
        and firsts.scope_id = changed_pairs.scope_id
        and firsts.buyer_id = changed_pairs.buyer_id
    where firsts.scope_order_seq = 1
    union
    select firsts.scope, firsts.scope_id, firsts.month_start as cohort_month
    from {{ ref('int_orders_by_scope') }} as firsts
    inner join changed_pairs
        on firsts.scope = changed_pairs.scope
        and firsts.scope_id = changed_pairs.scope_id
        and firsts.buyer_id = changed_pairs.buyer_id
    where firsts.scope_order_seq = 1
),

bounds as (
    select
        {{ reporting_date('earlier_end') }} as earlier_end,
        {{ reporting_date('later_end') }} as later_end
    from {{ ref('int_changed_paid_span') }}
),

reopened_or_closed as (
    select distinct firsts.scope, firsts.scope_id, firsts.month_start as cohort_month
    from {{ ref('int_orders_by_scope') }} as firsts
    cross join bounds
    where
        firsts.scope_order_seq = 1
        and (
            {%- for days in windows %}
                {%- set closes = dbt.dateadd(
                    'day', days, dbt.last_day('firsts.month_start', 'month')
                ) %}
                {{ "or " if not loop.first }}{{ closes }} > bounds.earlier_end
                and {{ closes }} <= bounds.later_end
            {%- endfor %}
        )
)

select scope, scope_id, cohort_month from pair_cohorts
union
select scope, scope_id, cohort_month from reopened_or_closed

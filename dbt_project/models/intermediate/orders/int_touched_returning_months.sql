-- The (scope, scope_id, month) rows of returning_buyers_monthly an incremental run recomputes:
-- each touched scope-month and the 12 months after it (whose look-back window contains it).
-- Empty after a full build. Tagged `bookkeeping`: the lower-bound script leaves it out.
{{ config(tags=['bookkeeping']) }}

with months_after as (
    {{ dbt.generate_series(13) }}
)

select distinct
    touched.scope,
    touched.scope_id,
    cast(
        {{ dbt.dateadd('month', 'months_after.generated_number - 1', 'touched.month_start') }}
        as date
    ) as month_start
from {{ ref('int_touched_scope_months') }} as touched
cross join months_after

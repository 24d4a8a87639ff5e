-- Enforcement per month, action type, reason and campaign ('none' when absent). Distinct counts
-- are per row: they do not add up across months or rows.
with actions as (
    select
        {{ period_start('month', 'action_date') }} as month_start,
        *
    from {{ ref('fct_enforcement_actions') }}
)

select
    month_start,
    action_type,
    reason,
    campaign,
    {{ enforcement_measures() }}
from actions
group by month_start, action_type, reason, campaign

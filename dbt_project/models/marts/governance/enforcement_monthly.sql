-- Enforcement per month, action type, reason and campaign ('none' when absent). Distinct counts
-- are per row: they do not add up across months or rows.
select
    {{ period_start('month', 'action_date') }} as month_start,
    action_type,
    reason,
    campaign,
    {{ enforcement_measures() }}
from {{ ref('fct_enforcement_actions') }}
group by 1, action_type, reason, campaign

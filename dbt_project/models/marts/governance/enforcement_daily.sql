-- Enforcement per reporting day, action type, reason and campaign ('none' when absent). Distinct
-- counts are per row: they do not add up across days (use fct_enforcement_actions for that).
select
    action_date as day,
    action_type,
    reason,
    campaign,
    {{ enforcement_measures() }}
from {{ ref('fct_enforcement_actions') }}
group by action_date, action_type, reason, campaign

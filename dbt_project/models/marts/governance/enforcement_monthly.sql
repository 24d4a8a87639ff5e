-- Enforcement per month, action type, reason and campaign ('none' when absent). Distinct counts
-- are per row: they do not add up across months or rows.
select
    {{ period_start('month', 'action_date') }} as month_start,
    action_type,
    reason,
    campaign,
    count(*) as actions,
    count(distinct target_type || ':' || target_id) as distinct_targets,
    count(distinct gang_id) as distinct_gangs,
    count(distinct case when gang_id is not null then target_type || ':' || target_id end)
        as gang_accounts,
    count(distinct case_id) as distinct_cases,
    cast(coalesce(sum(amount_involved), 0) as decimal(18, 2)) as amount_involved
from {{ ref('fct_enforcement_actions') }}
group by 1, action_type, reason, campaign

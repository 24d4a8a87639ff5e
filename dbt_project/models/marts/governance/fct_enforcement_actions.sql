-- One row per enforcement action, with its reporting day and `campaign` = 'none' when absent so
-- that it can be a grouping key.
select
    action_id,
    action_at,
    {{ reporting_date('action_at') }} as action_date,
    action_type,
    reason,
    coalesce(campaign, 'none') as campaign,
    target_type,
    target_id,
    session_id,
    gang_id,
    case_id,
    reporter_id,
    amount_involved
from {{ ref('stg_platform__enforcement_actions') }}

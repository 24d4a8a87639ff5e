-- One row per enforcement action, with its reporting day and `campaign` = 'none' when absent so
-- that it can be a grouping key. Incremental over the export dates of the partition window.
{{ config(**keyed_state(
    'action_id',
    pre_hook=[
        "{{ record_touched_keys(ref('stg_platform__enforcement_actions'), 'action_id') }}",
        "{{ record_rows_before(of_touched_keys('action_id')) }}",
        "{{ delete_touched_keys('action_id') }}",
    ],
    post_hook=["{{ empty_rows_before() }}"],
    deleted_first=true,
)) }}

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
    amount_involved,
    exported_on
from {{ ref('stg_platform__enforcement_actions') }}
where {{ when_incremental(of_touched_keys('action_id')) }}

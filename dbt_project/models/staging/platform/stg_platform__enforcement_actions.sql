-- One row per enforcement action (latest export wins for a repeated action_id).
with source as (
    select * from {{ source('platform', 'enforcement_actions') }}
),

ranked as (
    select
        action_id,
        action_at,
        action_type,
        reason,
        target_type,
        target_id,
        session_id,
        campaign,
        gang_id,
        case_id,
        reporter_id,
        amount_involved,
        _partition_dt as exported_on,
        _source_file as source_file,
        _source_row as source_row,
        row_number() over (
            partition by
                action_id
            order by _partition_dt desc, _source_file desc, _source_row desc
        ) as export_rank
    from source
)

select
    action_id,
    action_at,
    action_type,
    reason,
    target_type,
    target_id,
    session_id,
    campaign,
    gang_id,
    case_id,
    reporter_id,
    amount_involved,
    exported_on,
    source_file,
    source_row
from ranked
where export_rank = 1

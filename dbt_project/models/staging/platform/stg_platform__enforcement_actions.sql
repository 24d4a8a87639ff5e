-- One row per enforcement action (latest export wins for a repeated action_id).
with renamed as (
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
        {{ lineage_renamed() }}
    from {{ source('platform', 'enforcement_actions') }}
)

{{ deduplicate('renamed', unique_by=['action_id'], latest_by=lineage_columns()) }}

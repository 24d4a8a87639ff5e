-- One row per enforcement action (latest export wins for a repeated action_id).
with source as (
    select * from {{ source('platform', 'enforcement_actions') }}
),

renamed as (
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
        _source_row as source_row
    from source
)

{{ deduplicate('renamed', unique_by=['action_id'], latest_by=lineage_columns()) }}

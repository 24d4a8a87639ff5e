-- One row per livestream session; a re-export replaces the earlier one (latest export wins).
with source as (
    select * from {{ source('platform', 'livestream_sessions') }}
),

renamed as (
    select
        session_id,
        streamer_id,
        started_at,
        ended_at,
        viewers,
        follower_viewers,
        watch_seconds,
        peak_concurrent,
        interactions,
        _partition_dt as exported_on,
        _source_file as source_file,
        _source_row as source_row
    from source
)

{{ deduplicate('renamed', unique_by=['session_id'], latest_by=lineage_columns()) }}

-- One row per livestream session; a re-export replaces the earlier one (latest export wins).
with renamed as (
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
        {{ lineage_renamed() }}
    from {{ source('platform', 'livestream_sessions') }}
)

{{ deduplicate('renamed', unique_by=['session_id'], latest_by=lineage_columns()) }}

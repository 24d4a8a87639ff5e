-- One row per follow/unfollow event; an event exported twice counts once (latest export wins).
with renamed as (
    select
        event_id,
        follower_id,
        streamer_id,
        event_type,
        event_at,
        {{ lineage_renamed() }}
    from {{ source('platform', 'follows') }}
)

{{ deduplicate('renamed', unique_by=['event_id'], latest_by=lineage_columns()) }}

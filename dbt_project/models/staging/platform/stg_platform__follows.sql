-- One row per follow/unfollow event; an event exported twice counts once (latest export wins).
with source as (
    select * from {{ source('platform', 'follows') }}
),

renamed as (
    select
        event_id,
        follower_id,
        streamer_id,
        event_type,
        event_at,
        _partition_dt as exported_on,
        _source_file as source_file,
        _source_row as source_row
    from source
)

{{ deduplicate('renamed', unique_by=['event_id'], latest_by=lineage_columns()) }}

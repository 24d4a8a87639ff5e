-- One row per streamer per snapshot (export) date.
with renamed as (
    select
        streamer_id,
        shop_id,
        category,
        follower_count,
        created_at,
        {{ lineage_renamed() }}
    from {{ source('platform', 'streamers') }}
)

{{ deduplicate('renamed', unique_by=['streamer_id', 'exported_on'], latest_by=lineage_columns()) }}

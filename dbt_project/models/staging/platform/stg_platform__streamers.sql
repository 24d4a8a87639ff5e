-- One row per streamer per snapshot (export) date.
with source as (
    select * from {{ source('platform', 'streamers') }}
),

renamed as (
    select
        streamer_id,
        shop_id,
        category,
        follower_count,
        created_at,
        _partition_dt as exported_on,
        _source_file as source_file,
        _source_row as source_row
    from source
)

{{ deduplicate('renamed', unique_by=['streamer_id', 'exported_on'], latest_by=lineage_columns()) }}

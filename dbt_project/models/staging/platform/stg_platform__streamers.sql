-- One row per streamer per snapshot (export) date.
with source as (
    select * from {{ source('platform', 'streamers') }}
),

ranked as (
    select
        streamer_id,
        shop_id,
        category,
        follower_count,
        created_at,
        _partition_dt as exported_on,
        _source_file as source_file,
        _source_row as source_row,
        row_number() over (
            partition by
                streamer_id,
                _partition_dt
            order by _partition_dt desc, _source_file desc, _source_row desc
        ) as export_rank
    from source
)

select
    streamer_id,
    shop_id,
    category,
    follower_count,
    created_at,
    exported_on,
    source_file,
    source_row
from ranked
where export_rank = 1

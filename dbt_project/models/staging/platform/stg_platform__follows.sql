-- One row per follow/unfollow event; an event exported twice counts once (latest export wins).
with source as (
    select * from {{ source('platform', 'follows') }}
),

ranked as (
    select
        event_id,
        follower_id,
        streamer_id,
        event_type,
        event_at,
        _partition_dt as exported_on,
        _source_file as source_file,
        _source_row as source_row,
        row_number() over (
            partition by
                event_id
            order by _partition_dt desc, _source_file desc, _source_row desc
        ) as export_rank
    from source
)

select
    event_id,
    follower_id,
    streamer_id,
    event_type,
    event_at,
    exported_on,
    source_file,
    source_row
from ranked
where export_rank = 1

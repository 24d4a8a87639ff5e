-- One row per livestream session; a re-export replaces the earlier one (latest export wins).
with source as (
    select * from {{ source('platform', 'livestream_sessions') }}
),

ranked as (
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
        _source_row as source_row,
        row_number() over (
            partition by
                session_id
            order by _partition_dt desc, _source_file desc, _source_row desc
        ) as export_rank
    from source
)

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
    exported_on,
    source_file,
    source_row
from ranked
where export_rank = 1

-- One row per livestream session version as loaded, renamed. Not deduplicated here, like
-- stg_platform__orders and stg_platform__follows and for the same reason: a view without an
-- aggregate lets a daily run's filters (export window, touched sessions) reach the raw scan.
-- int_livestream_sessions keeps the latest export of each session it recomputes.
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

select * from renamed

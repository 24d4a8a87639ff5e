-- One row per follow/unfollow event version as loaded, renamed. Not deduplicated here, like
-- stg_platform__orders and for the same reason: a view without an aggregate lets a daily run's
-- filters (export window, touched followers' events) reach the raw scan. int_follow_intervals
-- keeps the latest export of each event (macro deduplicate) among the events it recomputes.
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

select * from renamed

-- One row per streamer snapshot as loaded, renamed. Not deduplicated here, like
-- stg_platform__livestream_sessions and for the same reason: deduplicated in the view, a lookup
-- of a few streamers (int_streamers_latest's dropped snapshots) deduplicated every snapshot ever
-- loaded before it could filter. The models that read it keep, per streamer (and month), the
-- latest snapshot by export date, then file and row.
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

select * from renamed

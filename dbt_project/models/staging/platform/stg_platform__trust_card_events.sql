-- One row per trust-card enable/disable event (latest export wins for a repeated event_id).
with renamed as (
    select
        event_id,
        shop_id,
        -- `right` is a reserved word: quoted the adapter's way ("right" is a string on Spark).
        {{ adapter.quote('right') }} as trust_right,
        event_type,
        event_at,
        {{ lineage_renamed() }}
    from {{ source('platform', 'trust_card_events') }}
)

{{ deduplicate('renamed', unique_by=['event_id'], latest_by=lineage_columns()) }}

-- One row per streamer per snapshot (export) date.
{{ latest_export_of(
    'streamers',
    columns=['streamer_id', 'shop_id', 'category', 'follower_count', 'created_at'],
    unique_by=['streamer_id', 'exported_on'],
) }}

-- One row per follow/unfollow event; an event exported twice counts once (latest export wins).
{{ latest_export_of(
    'follows',
    columns=['event_id', 'follower_id', 'streamer_id', 'event_type', 'event_at'],
    unique_by=['event_id'],
) }}

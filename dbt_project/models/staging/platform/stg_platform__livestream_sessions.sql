-- One row per livestream session; a re-export replaces the earlier one (latest export wins).
{{ latest_export_of(
    'livestream_sessions',
    columns=[
        'session_id', 'streamer_id', 'started_at', 'ended_at', 'viewers', 'follower_viewers',
        'watch_seconds', 'peak_concurrent', 'interactions',
    ],
    unique_by=['session_id'],
) }}

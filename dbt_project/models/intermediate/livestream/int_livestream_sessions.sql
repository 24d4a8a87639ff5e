-- Livestream sessions as of their latest export, kept incrementally: a run for a window of
-- export dates replaces the sessions exported in it (a re-export replaces the session).
{{ config(
    materialized='incremental',
    unique_key='session_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    tags=['partitioned'],
    post_hook="{{ delete_keys_gone_from(ref('stg_platform__livestream_sessions'), 'session_id') }}",
) }}

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
    exported_on
from {{ ref('stg_platform__livestream_sessions') }}
{% if is_incremental() %}
    where session_id in (
            {{ keys_in_export_window(ref('stg_platform__livestream_sessions'), 'session_id') }}
        )
{% endif %}

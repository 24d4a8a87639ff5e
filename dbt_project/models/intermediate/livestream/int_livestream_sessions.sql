-- Livestream sessions as of their latest export, kept incrementally: a run for a window of
-- export dates replaces the sessions exported in it (a re-export replaces the session).
{{ config(
    materialized='incremental',
    unique_key='session_id',
    incremental_strategy=keyed_incremental_strategy(),
    on_schema_change='fail',
    tags=['partitioned'],
    pre_hook=[
        "{{ record_touched_keys(ref('stg_platform__livestream_sessions'), 'session_id') }}",
        "{{ delete_touched_keys('session_id') }}",
    ],
    post_hook="{{ drop_touched_keys() }}",
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
    where session_id in (select session_id from {{ touched_keys() }})
{% endif %}

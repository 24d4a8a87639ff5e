-- Livestream sessions as of their latest export, kept incrementally: a run for a window of
-- export dates recomputes the sessions exported in it from all of their versions (a re-export
-- replaces the session), choosing the latest with a hash aggregate (macro deduplicate).
{{ config(**keyed_state(
    'session_id',
    pre_hook=[
        "{{ record_touched_keys(ref('stg_platform__livestream_sessions'), 'session_id') }}",
        "{{ record_rows_before(of_touched_keys('session_id')) }}",
        "{{ delete_touched_keys('session_id') }}",
    ],
    post_hook=["{{ empty_rows_before() }}"],
    deleted_first=true,
)) }}

with versions as (
    select * from {{ ref('stg_platform__livestream_sessions') }}
    where {{ when_incremental(of_touched_keys('session_id')) }}
),

latest as (
    {{ deduplicate('versions', unique_by=['session_id'], latest_by=lineage_columns()) }}
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
    exported_on
from latest

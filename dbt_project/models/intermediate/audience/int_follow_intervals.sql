-- Follow intervals per (follower, streamer) from follow/unfollow events: a follow while not
-- following opens an interval, an unfollow while following closes it. Duplicate follows and
-- unfollows without a follow change nothing, and a re-follow opens a new interval.
-- `followed_until` is NULL while the follow is still open.
--
-- Incremental, keyed by follower: a run recomputes every pair of the followers with an event
-- exported in the window, or a stored pair whose events' export dates span it
-- (first_exported_on .. last_exported_on), from all of their events.
{{ config(**keyed_state(
    'follower_id',
    pre_hook=["{{ record_touched_followers() }}", "{{ delete_touched_keys('follower_id') }}"],
    deleted_first=true,
)) }}

-- An event exported twice counts once: its latest export (by export date, file, row) wins. A
-- run deduplicates only the events one of whose versions names a touched follower, then keeps
-- those whose latest version still does; a correction that moved an event to another follower
-- thus leaves the first one too.
with versions as (
    select * from {{ ref('stg_platform__follows') }}
    {%- if is_incremental() %}
        where event_id in (
                select event_id from {{ ref('stg_platform__follows') }}
                where {{ of_touched_keys('follower_id') }}
            )
    {%- endif %}
),

latest_versions as (
    {{ deduplicate('versions', unique_by=['event_id'], latest_by=lineage_columns()) }}
),

events as (
    select * from latest_versions
    where {{ when_incremental(of_touched_keys('follower_id')) }}
),

export_spans as (
    select
        follower_id,
        streamer_id,
        min(exported_on) as first_exported_on,
        max(exported_on) as last_exported_on
    from events
    group by follower_id, streamer_id
),

intervals as (
    {{ event_intervals(
        'events',
        partition_by=['follower_id', 'streamer_id'],
        on_event='follow',
        off_event='unfollow',
        from_column='followed_from',
        until_column='followed_until',
    ) }}
)

select
    intervals.follower_id,
    intervals.streamer_id,
    intervals.followed_from,
    intervals.followed_until,
    export_spans.first_exported_on,
    export_spans.last_exported_on
from intervals
inner join export_spans
    on intervals.follower_id = export_spans.follower_id
    and intervals.streamer_id = export_spans.streamer_id

-- Follow intervals per (follower, streamer), built from follow/unfollow events as a state machine
-- that starts "not following": a follow while not following opens an interval, an unfollow while
-- following closes it. Duplicate follows and unfollows without a follow change nothing, and a
-- re-follow opens a new interval. `followed_until` is NULL while the follow is still open.
with events as (
    select
        follower_id,
        streamer_id,
        event_type,
        event_at,
        lag(event_type) over (
            partition by follower_id, streamer_id order by event_at, event_id
        ) as previous_event_type
    from {{ ref('stg_platform__follows') }}
),

state_changes as (
    -- Keep the events that change the state. The first event only counts if it is a follow.
    select
        follower_id,
        streamer_id,
        event_type,
        event_at
    from events
    where event_type != coalesce(previous_event_type, 'unfollow')
),

paired as (
    select
        follower_id,
        streamer_id,
        event_type,
        event_at as followed_from,
        lead(event_at) over (
            partition by follower_id, streamer_id order by event_at
        ) as followed_until
    from state_changes
)

select
    follower_id,
    streamer_id,
    followed_from,
    followed_until
from paired
where event_type = 'follow'

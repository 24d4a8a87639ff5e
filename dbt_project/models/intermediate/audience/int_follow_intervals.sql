-- Follow intervals per (follower, streamer) from follow/unfollow events: a follow while not
-- following opens an interval, an unfollow while following closes it. Duplicate follows and
-- unfollows without a follow change nothing, and a re-follow opens a new interval.
-- `followed_until` is NULL while the follow is still open.
{{ event_intervals(
    ref('stg_platform__follows'),
    partition_by=['follower_id', 'streamer_id'],
    on_event='follow',
    off_event='unfollow',
    from_column='followed_from',
    until_column='followed_until',
) }}

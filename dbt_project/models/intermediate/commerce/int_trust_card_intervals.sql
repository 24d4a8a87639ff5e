-- Intervals in which a shop held a 小店信任卡 right, from enable/disable events, as a state
-- machine that starts disabled (the same shape as int_follow_intervals): an enable while
-- disabled opens an interval, a disable while enabled closes it, repeats change nothing.
with events as (
    select
        shop_id,
        trust_right,
        event_type,
        event_at,
        event_id,
        lag(event_type) over (
            partition by shop_id, trust_right order by event_at, event_id
        ) as previous_event_type
    from {{ ref('stg_platform__trust_card_events') }}
),

state_changes as (
    select
        shop_id,
        trust_right,
        event_type,
        event_at,
        event_id
    from events
    where event_type != coalesce(previous_event_type, 'disabled')
),

paired as (
    select
        shop_id,
        trust_right,
        event_type,
        event_at as enabled_at,
        lead(event_at) over (
            partition by shop_id, trust_right order by event_at, event_id
        ) as disabled_at
    from state_changes
)

select
    shop_id,
    trust_right,
    enabled_at,
    disabled_at
from paired
where event_type = 'enabled'

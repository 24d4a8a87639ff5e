{#-
  Intervals from on/off events, as a state machine that starts "off": an `on_event` while off
  opens an interval at its time, an `off_event` while on closes it; repeated events and an off
  without an on change nothing; a later on opens a new interval. Returns the partition columns,
  `<from_column>` and `<until_column>` (NULL while still open). Used for follows and for
  trust-card rights.
-#}
{% macro event_intervals(relation, partition_by, on_event, off_event, from_column, until_column) -%}
{%- set keys = partition_by | join(', ') -%}
with events as (
    select
        {{ keys }},
        event_type,
        event_at,
        event_id,
        lag(event_type) over (partition by {{ keys }} order by event_at, event_id)
            as previous_event_type
    from {{ relation }}
),

state_changes as (
    -- Keep the events that change the state; the first event counts only if it is an "on".
    select {{ keys }}, event_type, event_at, event_id
    from events
    where event_type != coalesce(previous_event_type, '{{ off_event }}')
),

paired as (
    select
        {{ keys }},
        event_type,
        event_at as {{ from_column }},
        lead(event_at) over (partition by {{ keys }} order by event_at, event_id)
            as {{ until_column }}
    from state_changes
)

select {{ keys }}, {{ from_column }}, {{ until_column }}
from paired
where event_type = '{{ on_event }}'
{%- endmacro %}

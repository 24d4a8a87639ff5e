-- The months whose monthly commerce figures an incremental run may have changed: the months of
-- the changed order days (int_changed_order_days), of the livestream sessions and enforcement
-- actions it added, removed or changed, and the months its export window overlaps (a month's
-- fan tier comes from its last streamer snapshot). The monthly marts recompute these months
-- (and the months whose prior-month or prior-year figures they are). Empty after a full build.
-- Tagged `bookkeeping`: not a business model, so the lower-bound script leaves it out.
{{ config(tags=['bookkeeping']) }}


select {{ period_start('month', 'day') }} as month_start
from {{ ref('int_changed_order_days') }}
union
select {{ period_start('month', reporting_date('started_at')) }} as month_start
from ({{ changed_rows(ref('int_livestream_sessions'), 'session_id') }}) as changed
union
select month_start
from {{ touched_keys_of(ref('int_streamer_monthly_fan_tiers')) }}
union
select {{ period_start('month', 'action_date') }} as month_start
from ({{ changed_rows(ref('fct_enforcement_actions'), 'action_id') }}) as changed

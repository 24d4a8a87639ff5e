-- The (month, streamer) groups of gmv_decomposition_monthly an incremental run recomputes: those
-- of the sessions in int_changed_sessions, as they were before the run and as they are now.
-- Empty after a full build.
-- Tagged `bookkeeping`: not a business model, so the lower-bound script leaves it out.
{{ config(tags=['bookkeeping']) }}

select {{ period_start('month', 'session_date') }} as month_start, streamer_id
from {{ rows_before(ref('fct_livestream_sessions')) }}
union
select {{ period_start('month', 'sessions.session_date') }} as month_start, sessions.streamer_id
from {{ ref('fct_livestream_sessions') }} as sessions
inner join {{ ref('int_changed_sessions') }} as changed
    on sessions.session_id = changed.session_id

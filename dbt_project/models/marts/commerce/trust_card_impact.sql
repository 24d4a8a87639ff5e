-- For each trust-card enablement: the shop's repeat-purchase rate (buyers with >= 2 counted
-- orders in the shop in the window / buyers with >= 1) in the 90 days before and after the
-- enablement instant, beside the same windows pooled over shops that never held that right
-- (the control), and the difference in differences.
--
-- Incremental, by enablement: a run recomputes the enablements in <model>__touched (macros/
-- trust_card_impact.sql), from the counted orders within reach of their window starts only.
{%- set window_days = 90 %}
{{ config(**keyed_state(
    ['shop_id', 'trust_right', 'enabled_at'],
    pre_hook=[
        "{{ record_touched_enablements(90) }}",
        "{{ delete_touched_enablements() }}",
    ],
)) }}
-- depends_on: {{ ref('int_changed_paid_span') }}

with all_enablements as (
    select shop_id, trust_right, enabled_at
    from {{ ref('int_trust_card_intervals') }}
),

enablements as (
    select all_enablements.*
    from all_enablements
    where {{ when_incremental(matches_a_row_of(
        touched_keys(), 'all_enablements', ['shop_id', 'trust_right', 'enabled_at']
    )) }}
),

-- The orders whose pair intervals can contain a window start of these enablements: paid from
-- window_days before the earliest start (for the previous orders of a pair) to window_days
-- after the latest. Read in incremental runs only.
order_reach as (  -- noqa: ST03
    select
        {{ dbt.dateadd('day', -2 * window_days, 'min(enabled_at)') }} as reach_from,
        {{ dbt.dateadd('day', window_days, 'max(enabled_at)') }} as reach_to
    from enablements
),

shop_orders as (
    select orders.shop_id, orders.buyer_id, orders.order_id, orders.paid_at
    from {{ ref('int_orders_attributed') }} as orders
    {% if is_incremental() %}
        cross join order_reach
        where orders.paid_at >= order_reach.reach_from
            and orders.paid_at <= order_reach.reach_to
    {% endif %}
),

holders as (
    select distinct shop_id, trust_right from all_enablements
),

-- A window is [a, a + 90 days): a = enabled_at - 90 days (before) or enabled_at (after).
-- Counting buyers per window by joining every window to every order in it grows with
-- enablements x orders (192 s at 1 M orders). Instead, each (shop, buyer)'s counted orders
-- t_1 <= t_2 <= ... say for which window starts a the pair newly has >= 1 order in the window,
-- a in (max(t_i - 90 d, t_(i-1)), t_i], and newly has >= 2, a in (max(t_i - 90 d, t_(i-2)),
-- t_(i-1)]. These intervals are disjoint per pair, so the pairs counted at a window start are
-- the intervals containing it: a running sum over interval ends, read at each window start.
sequenced as (
    select
        shop_id,
        paid_at,
        lag(paid_at, 1) over pair_orders as previous_paid_at,
        lag(paid_at, 2) over pair_orders as second_previous_paid_at
    from shop_orders
    window pair_orders as (partition by shop_id, buyer_id order by paid_at, order_id)
),

coverage as (
    select
        shop_id,
        'buyers' as measure,
        greatest(
            {{ dbt.dateadd('day', -window_days, 'paid_at') }},
            coalesce(previous_paid_at, {{ dbt.dateadd('day', -window_days, 'paid_at') }})
        ) as covered_after,
        paid_at as covered_until
    from sequenced
    union all
    select
        shop_id,
        'repeat_buyers' as measure,
        greatest(
            {{ dbt.dateadd('day', -window_days, 'paid_at') }},
            coalesce(second_previous_paid_at, {{ dbt.dateadd('day', -window_days, 'paid_at') }})
        ) as covered_after,
        previous_paid_at as covered_until
    from sequenced
    where previous_paid_at is not null
),

-- The treated arm counts the shop's own pairs. The control arm of a right counts the pairs of
-- every shop that never held it: all pairs, less the pairs of the shops that did (cheaper than
-- repeating every pair once per right).
arm_coverage as (
    select 'treated' as arm, shop_id as arm_key, measure, covered_after, covered_until
    from coverage
    where covered_after < covered_until
    union all
    select 'all' as arm, 'all' as arm_key, measure, covered_after, covered_until
    from coverage
    where covered_after < covered_until
    union all
    select 'holders' as arm, holders.trust_right as arm_key, measure, covered_after, covered_until
    from coverage
    inner join holders on coverage.shop_id = holders.shop_id
    where covered_after < covered_until
),

window_starts as (
    select
        shop_id,
        trust_right,
        enabled_at,
        side,
        arm,
        case arm when 'treated' then shop_id when 'all' then 'all' else trust_right end as arm_key,
        case
            when side = 'before' then {{ dbt.dateadd('day', -window_days, 'enabled_at') }}
            else enabled_at
        end as window_start
    from enablements
    cross join (values ('before'), ('after')) as sides (side)
    cross join (values ('treated'), ('all'), ('holders')) as arms (arm)
),

-- At equal instants a window start is read before the interval ends there: an interval
-- (after, until] contains a exactly when after < a <= until.
timeline as (
    select
        arm, arm_key, measure, covered_after as event_at, 1 as step, 1 as delta,
        null as shop_id, null as trust_right, null as enabled_at, null as side
    from arm_coverage
    union all
    select
        arm, arm_key, measure, covered_until as event_at, 1 as step, -1 as delta,
        null as shop_id, null as trust_right, null as enabled_at, null as side
    from arm_coverage
    union all
    select
        window_starts.arm, window_starts.arm_key, measures.measure, window_start as event_at,
        0 as step, 0 as delta,
        shop_id, trust_right, enabled_at, side
    from window_starts
    cross join (values ('buyers'), ('repeat_buyers')) as measures (measure)
),

counted as (
    select
        shop_id,
        trust_right,
        enabled_at,
        side,
        arm,
        measure,
        step,
        sum(delta) over (
            partition by arm, arm_key, measure
            order by event_at, step
            rows between unbounded preceding and current row
        ) as pairs
    from timeline
),

rates as (
    select
        shop_id,
        trust_right,
        enabled_at,
    {%- for side in ['before', 'after'] %}
    {%- for measure in ['buyers', 'repeat_buyers'] %}
        {%- set this_window = "side = '" ~ side ~ "' and measure = '" ~ measure ~ "'" %}
        sum(case when arm = 'treated' and {{ this_window }} then pairs end)
            as {{ side }}_{{ measure }},
        sum(case when arm = 'all' and {{ this_window }} then pairs end)
        - sum(case when arm = 'holders' and {{ this_window }} then pairs end)
            as control_{{ side }}_{{ measure }}{{ "," if not (loop.last and side == 'after') }}
    {%- endfor %}
    {%- endfor %}
    from counted
    where step = 0
    group by shop_id, trust_right, enabled_at
),

data_end as (
    select max(paid_at) as last_paid_at from {{ ref('int_orders_attributed') }}
),

measured as (
    select
        enablements.shop_id,
        enablements.trust_right,
        enablements.enabled_at,
        -- sqlfluff misreads the indentation of a loop that is followed by more columns.
        -- noqa: disable=LT02
    {%- for prefix in ['before', 'after', 'control_before', 'control_after'] %}
        cast(coalesce(rates.{{ prefix }}_buyers, 0) as {{ dbt.type_bigint() }})
            as {{ prefix }}_buyers,
        cast(coalesce(rates.{{ prefix }}_repeat_buyers, 0) as {{ dbt.type_bigint() }})
            as {{ prefix }}_repeat_buyers,
        {{ safe_rate('rates.' ~ prefix ~ '_repeat_buyers', 'rates.' ~ prefix ~ '_buyers') }}
            as {{ prefix }}_rate,
    {%- endfor %}
        {{ dbt.dateadd('day', window_days, 'enablements.enabled_at') }}
        <= data_end.last_paid_at as after_window_complete
    -- noqa: enable=LT02
    from enablements
    left join rates
        on enablements.shop_id = rates.shop_id
        and enablements.trust_right = rates.trust_right
        and enablements.enabled_at = rates.enabled_at
    cross join data_end
)

select
    *,
    (after_rate - before_rate) - (control_after_rate - control_before_rate) as diff_in_diff
from measured

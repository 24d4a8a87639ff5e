-- For each trust-card enablement: the shop's repeat-purchase rate (buyers with >= 2 counted
-- orders in the shop in the window / buyers with >= 1) in the 90 days before and after the
-- enablement instant, beside the same windows pooled over shops that never held that right
-- (the control), and the difference in differences.
--
-- Incremental, by enablement (macros/trust_card_impact.sql): a run recomputes the enablements
-- its changed orders can reach, from the orders within reach of their window starts only, and
-- corrects the stored control arm of the enablements whose right gained or lost a holder.
{%- set window_days = 90 %}
{%- set keys = ['shop_id', 'trust_right', 'enabled_at'] %}
{{ config(**keyed_state(
    keys,
    pre_hook=[
        "{{ record_holder_changes() }}",
        "{{ record_touched_enablements(90) }}",
        "{{ record_rows_before(matches_a_row_of(touched_enablements(false), this.identifier, "
        ~ keys ~ ")) }}",
        "{{ delete_touched_enablements() }}",
    ],
)) }}
-- depends_on: {{ ref('int_changed_paid_span') }}

with all_enablements as (
    select shop_id, trust_right, enabled_at
    from {{ ref('int_trust_card_intervals') }}
),

-- The enablements computed here: every one on a full build, the recomputed ones otherwise.
enablements as (
    select all_enablements.*
    from all_enablements
    where {{ when_incremental(matches_a_row_of(
        touched_enablements(true), 'all_enablements', keys
    )) }}
),

-- The enablements whose control arm is corrected, and the shops whose pairs correct it: +1 for a
-- new holder of the right (its pairs leave the control), -1 for a lost one. Empty on a full build.
adjusted_enablements as (
    {%- if is_incremental() %}
        select shop_id, trust_right, enabled_at from {{ touched_enablements(false) }} as adjusted
    {%- else %}
        select shop_id, trust_right, enabled_at from all_enablements
        where 1 = 0
    {%- endif %}
),

holder_changes as (
    {%- if is_incremental() %}
        select shop_id, trust_right, holder_change from {{ holder_changes() }}
    {%- else %}
        select shop_id, trust_right, 1 as holder_change from all_enablements
        where 1 = 0
    {%- endif %}
),

-- The orders whose pair intervals can contain a window start of these enablements: paid from
-- window_days before the earliest start (for the previous orders of a pair) to window_days
-- after the latest; and every order of a changed holder. Read in incremental runs only.
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
        where (
            orders.paid_at >= order_reach.reach_from
            and orders.paid_at <= order_reach.reach_to
        )
        or orders.shop_id in (select shop_id from holder_changes)
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
-- repeating every pair once per right). The changed-holders arm weighs a changed holder's pairs
-- by its holder_change: what the control arm of an adjusted enablement loses.
arm_coverage as (
    select 'treated' as arm, shop_id as arm_key, measure, covered_after, covered_until, 1 as weight
    from coverage
    where covered_after < covered_until
    union all
    select 'all' as arm, 'all' as arm_key, measure, covered_after, covered_until, 1 as weight
    from coverage
    where covered_after < covered_until
    union all
    select
        'holders' as arm, holders.trust_right as arm_key, measure, covered_after, covered_until,
        1 as weight
    from coverage
    inner join holders on coverage.shop_id = holders.shop_id
    where covered_after < covered_until
    union all
    select
        'changed_holders' as arm, holder_changes.trust_right as arm_key, measure, covered_after,
        covered_until, holder_changes.holder_change as weight
    from coverage
    inner join holder_changes on coverage.shop_id = holder_changes.shop_id
    where covered_after < covered_until
),

window_starts as (
    select enablements.*, arms.arm
    from enablements
    cross join (values ('treated'), ('all'), ('holders')) as arms (arm)
    union all
    select adjusted_enablements.*, 'changed_holders' as arm
    from adjusted_enablements
),

-- At equal instants a window start is read before the interval ends there: an interval
-- (after, until] contains a exactly when after < a <= until.
timeline as (
    select
        arm, arm_key, measure, covered_after as event_at, 1 as step, weight as delta,
        null as shop_id, null as trust_right, null as enabled_at, null as side
    from arm_coverage
    union all
    select
        arm, arm_key, measure, covered_until as event_at, 1 as step, -weight as delta,
        null as shop_id, null as trust_right, null as enabled_at, null as side
    from arm_coverage
    union all
    select
        window_starts.arm,
        case window_starts.arm
            when 'treated' then window_starts.shop_id
            when 'all' then 'all'
            else window_starts.trust_right
        end as arm_key,
        measures.measure,
        case
            when sides.side = 'before'
                then {{ dbt.dateadd('day', -window_days, 'window_starts.enabled_at') }}
            else window_starts.enabled_at
        end as event_at,
        0 as step,
        0 as delta,
        window_starts.shop_id,
        window_starts.trust_right,
        window_starts.enabled_at,
        sides.side
    from window_starts
    cross join (values ('before'), ('after')) as sides (side)
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
        sum(delta) over (
            partition by arm, arm_key, measure
            order by event_at, step
            rows between unbounded preceding and current row
        ) as pairs,
        step
    from timeline
),

-- Per enablement and window: `<side>_<measure>` (treated), `control_<side>_<measure>`, and
-- `holders_change_<side>_<measure>` (adjusted enablements only).
window_counts as (
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
            as control_{{ side }}_{{ measure }},
        sum(
            case when arm = 'changed_holders' and {{ this_window }} then pairs end
        ) as holders_change_{{ side }}_{{ measure }}{{ "," if not (loop.last and side == 'after') }}
    {%- endfor %}
    {%- endfor %}
    from counted
    where step = 0
    group by shop_id, trust_right, enabled_at
),

-- Recomputed enablements: their figures as counted here; adjusted ones: the stored figures, the
-- control arm less the changed holders' pairs.
counts as (
    select
        shop_id,
        trust_right,
        enabled_at,
        before_buyers,
        before_repeat_buyers,
        after_buyers,
        after_repeat_buyers,
        control_before_buyers,
        control_before_repeat_buyers,
        control_after_buyers,
        control_after_repeat_buyers
    from window_counts
    where {{ when_incremental(matches_a_row_of(touched_enablements(true), 'window_counts', keys)) }}
    {% if is_incremental() %}
        union all
        select
            stored.shop_id,
            stored.trust_right,
            stored.enabled_at,
            stored.before_buyers,
            stored.before_repeat_buyers,
            stored.after_buyers,
            stored.after_repeat_buyers,
            stored.control_before_buyers - coalesce(changes.holders_change_before_buyers, 0)
                as control_before_buyers,
            stored.control_before_repeat_buyers
            - coalesce(changes.holders_change_before_repeat_buyers, 0)
                as control_before_repeat_buyers,
            stored.control_after_buyers - coalesce(changes.holders_change_after_buyers, 0)
                as control_after_buyers,
            stored.control_after_repeat_buyers
            - coalesce(changes.holders_change_after_repeat_buyers, 0)
                as control_after_repeat_buyers
        from {{ rows_before(this) }} as stored
        left join window_counts as changes
            on stored.shop_id = changes.shop_id
            and stored.trust_right = changes.trust_right
            and stored.enabled_at = changes.enabled_at
    {% endif %}
),

data_end as (
    select max(paid_at) as last_paid_at from {{ ref('int_orders_attributed') }}
),

measured as (
    select
        counts.shop_id,
        counts.trust_right,
        counts.enabled_at,
        -- sqlfluff misreads the indentation of a loop that is followed by more columns.
        -- noqa: disable=LT02
    {%- for prefix in ['before', 'after', 'control_before', 'control_after'] %}
        cast(coalesce(counts.{{ prefix }}_buyers, 0) as {{ dbt.type_bigint() }})
            as {{ prefix }}_buyers,
        cast(coalesce(counts.{{ prefix }}_repeat_buyers, 0) as {{ dbt.type_bigint() }})
            as {{ prefix }}_repeat_buyers,
        {{ safe_rate('counts.' ~ prefix ~ '_repeat_buyers', 'counts.' ~ prefix ~ '_buyers') }}
            as {{ prefix }}_rate,
    {%- endfor %}
        {{ dbt.dateadd('day', window_days, 'counts.enabled_at') }}
        <= data_end.last_paid_at as after_window_complete
    -- noqa: enable=LT02
    from counts
    cross join data_end
)

select
    *,
    (after_rate - before_rate) - (control_after_rate - control_before_rate) as diff_in_diff
from measured

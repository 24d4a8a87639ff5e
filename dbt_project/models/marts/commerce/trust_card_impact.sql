-- For each trust-card enablement: the shop's repeat-purchase rate (buyers with >= 2 counted
-- orders in the shop in the window / buyers with >= 1) in the 90 days before and after the
-- enablement instant, beside the same windows pooled over shops that never held that right
-- (the control), and the difference in differences.
--
-- Incremental, by enablement (macros/trust_card_impact.sql): a run computes its new
-- enablements from the orders within reach of their windows, and updates the stored ones its
-- changes reach by the difference those changes make: the pairs (shop, buyer) with an order the
-- run added, removed or moved, after the run less before it, and the pairs of the shops that
-- gained or lost the right. Every other pair's intervals are the same before and after.
{%- set window_days = 90 %}
{%- set keys = ['shop_id', 'trust_right', 'enabled_at'] %}
{{ config(**keyed_state(
    keys,
    pre_hook=[
        "{{ record_holder_changes() }}",
        "{{ record_touched_enablements(90) }}",
        "{{ record_rows_before(matches_a_row_of(touched_enablements(new=false), "
        ~ "this.identifier, " ~ keys ~ ")) }}",
        "{{ delete_touched_enablements() }}",
    ],
    deleted_first=true,
)) }}
-- depends_on: {{ ref('int_changed_paid_span') }}
-- depends_on: {{ ref('int_changed_paid_orders') }}

with all_enablements as (
    select shop_id, trust_right, enabled_at
    from {{ ref('int_trust_card_intervals') }}
),

-- Computed from scratch: every enablement on a full build, the new ones otherwise.
new_enablements as (
    select all_enablements.*
    from all_enablements
    where {{ when_incremental(matches_a_row_of(
        touched_enablements(new=true), 'all_enablements', keys
    )) }}
),

-- Updated by difference (incremental runs): the stored enablements the run's changes reach.
updated_enablements as (
    {%- if is_incremental() %}
        select shop_id, trust_right, enabled_at from {{ touched_enablements(new=false) }} as kept
    {%- else %}
        select shop_id, trust_right, enabled_at from all_enablements
        where 1 = 0
    {%- endif %}
),

-- +1 for a shop that gained the right in this run, -1 for one that lost it.
holder_changes as (
    {%- if is_incremental() %}
        select shop_id, trust_right, holder_change from {{ holder_changes() }}
    {%- else %}
        select shop_id, trust_right, 1 as holder_change from all_enablements
        where 1 = 0
    {%- endif %}
),

holders as (
    select distinct shop_id, trust_right from all_enablements
),

-- The holders before the run: today's, less those gained, plus those lost.
holders_before as (
    select holders.shop_id, holders.trust_right
    from holders
    left join holder_changes
        on holders.shop_id = holder_changes.shop_id
        and holders.trust_right = holder_changes.trust_right
    where holder_changes.shop_id is null
    union all
    select shop_id, trust_right from holder_changes
    where holder_change = -1
),

-- The enablements computed here, on the basis of every pair or of what the run changed.
window_starts as (
    select 'whole' as basis, new_enablements.* from new_enablements
    union all
    select 'change' as basis, updated_enablements.* from updated_enablements
),

-- The orders whose pair intervals can contain a window start of the new enablements: paid
-- from window_days before the earliest start (for the previous orders of a pair) to
-- window_days after the latest.
order_reach as (  -- noqa: ST03
    select
        {{ dbt.dateadd('day', -2 * window_days, 'min(enabled_at)') }} as reach_from,
        {{ dbt.dateadd('day', window_days, 'max(enabled_at)') }} as reach_to
    from new_enablements
),

-- The pairs whose intervals an incremental run changed: those of the orders it added, removed or
-- moved, before and after.
moved_pairs as (  -- noqa: ST03
    {%- if is_incremental() %}
        select distinct shop_id, buyer_id from {{ ref('int_changed_paid_orders') }}
    {%- else %}
        select shop_id, buyer_id from {{ ref('fct_orders') }}
        where 1 = 0
    {%- endif %}
),

-- Counted orders, as they are now ('after'), and in an incremental run as they were before it
-- ('before', the moved pairs' rows only). Now: all of them on a full build; otherwise those
-- within reach of the new enablements, the moved pairs' and those of shops that gained or lost
-- a right (every order of a pair whose intervals are used, so its intervals are whole).
versioned_orders as (
    select 'after' as version, orders.shop_id, orders.buyer_id, orders.order_id, orders.paid_at
    from {{ ref('fct_orders') }} as orders
    {%- if is_incremental() %}
        cross join order_reach
        -- A run that reaches no enablement reads no order.
        where exists (select 1 from window_starts)
            and (
                orders.paid_at between order_reach.reach_from and order_reach.reach_to
                or {{ matches_a_row_of('moved_pairs', 'orders', ['shop_id', 'buyer_id']) }}
                or orders.shop_id in (select shop_id from holder_changes)
            )
        union all
        select 'before' as version, shop_id, buyer_id, order_id, paid_at
        from {{ rows_before(ref('fct_orders')) }} as orders
        where exists (select 1 from window_starts)
            and {{ matches_a_row_of('moved_pairs', 'orders', ['shop_id', 'buyer_id']) }}
    {%- endif %}
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
        version,
        shop_id,
        buyer_id,
        paid_at,
        lag(paid_at, 1) over pair_orders as previous_paid_at,
        lag(paid_at, 2) over pair_orders as second_previous_paid_at
    from versioned_orders
    window pair_orders as (partition by version, shop_id, buyer_id order by paid_at, order_id)
),

coverage as (
    select
        version,
        shop_id,
        buyer_id,
        'buyers' as measure,
        greatest(
            {{ dbt.dateadd('day', -window_days, 'paid_at') }},
            coalesce(previous_paid_at, {{ dbt.dateadd('day', -window_days, 'paid_at') }})
        ) as covered_after,
        paid_at as covered_until
    from sequenced
    union all
    select
        version,
        shop_id,
        buyer_id,
        'repeat_buyers' as measure,
        greatest(
            {{ dbt.dateadd('day', -window_days, 'paid_at') }},
            coalesce(second_previous_paid_at, {{ dbt.dateadd('day', -window_days, 'paid_at') }})
        ) as covered_after,
        previous_paid_at as covered_until
    from sequenced
    where previous_paid_at is not null
),

-- The pair intervals of each arm, weighted. The treated arm counts the shop's own pairs. The
-- control arm of a right counts the pairs of every shop that never held it: all pairs, less
-- the pairs of the shops that did (cheaper than repeating every pair once per right).
-- Basis 'whole' (new enablements): every pair now. Basis 'change' (updated enablements): what
-- the run changed, the moved pairs now (+1) and before (-1), in the holders arm for
-- the holders before the run, and the pairs now of a shop that gained (+1) or lost (-1) it:
-- the holders' pairs after the run less before it.
weighted_coverage as (
    select 'whole' as basis, shop_id, measure, covered_after, covered_until, 1 as weight
    from coverage
    where version = 'after'
    union all
    select
        'change' as basis,
        shop_id,
        measure,
        covered_after,
        covered_until,
        case version when 'after' then 1 else -1 end as weight
    from coverage
    {%- if is_incremental() %}
        where {{ matches_a_row_of('moved_pairs', 'coverage', ['shop_id', 'buyer_id']) }}
    {%- else %}
        where 1 = 0
    {%- endif %}
),

-- The holders each basis counts: today's for new enablements, those before the run for the
-- change of the updated ones.
holder_sets as (
    select 'whole' as basis, shop_id, trust_right from holders
    union all
    select 'change' as basis, shop_id, trust_right from holders_before
),

-- Only the arms a window start reads: the treated arm of the enablements' shops, the holders
-- arm of their rights.
arm_coverage as (
    select
        basis, 'treated' as arm, shop_id as arm_key, measure, covered_after, covered_until, weight
    from weighted_coverage
    -- A basis reads the treated arm of its own enablements' shops only.
    where exists (
            select 1 from window_starts
            where window_starts.basis = weighted_coverage.basis
                and window_starts.shop_id = weighted_coverage.shop_id
        )
    union all
    select basis, 'all' as arm, 'all' as arm_key, measure, covered_after, covered_until, weight
    from weighted_coverage
    union all
    select
        weighted_coverage.basis, 'holders' as arm, holder_sets.trust_right as arm_key, measure,
        covered_after, covered_until, weight
    from weighted_coverage
    inner join holder_sets
        on weighted_coverage.shop_id = holder_sets.shop_id
        and weighted_coverage.basis = holder_sets.basis
    where exists (
            select 1 from window_starts
            where window_starts.basis = holder_sets.basis
                and window_starts.trust_right = holder_sets.trust_right
        )
    union all
    select
        'change' as basis, 'holders' as arm, holder_changes.trust_right as arm_key, measure,
        covered_after, covered_until, holder_changes.holder_change as weight
    from coverage
    inner join holder_changes on coverage.shop_id = holder_changes.shop_id
    where coverage.version = 'after'
),

-- At equal instants a window start is read before the interval ends there: an interval
-- (after, until] contains a exactly when after < a <= until.
timeline as (
    select
        basis, arm, arm_key, measure, covered_after as event_at, 1 as step, weight as delta,
        null as shop_id, null as trust_right, null as enabled_at, null as side
    from arm_coverage
    where covered_after < covered_until
    union all
    select
        basis, arm, arm_key, measure, covered_until as event_at, 1 as step, -weight as delta,
        null as shop_id, null as trust_right, null as enabled_at, null as side
    from arm_coverage
    where covered_after < covered_until
    union all
    select
        window_starts.basis,
        arms.arm,
        case arms.arm
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
    cross join (values ('treated'), ('all'), ('holders')) as arms (arm)
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
        -- Summed as doubles: exact (every running count is an integer far below 2^53), and a
        -- running sum of integers is a 128-bit one in DuckDB, six times slower over the millions
        -- of events of the pooled arm (22 s against 3.6 s at 1.65 M orders).
        cast(sum(cast(delta as double)) over (
            partition by basis, arm, arm_key, measure
            order by event_at, step
            rows between unbounded preceding and current row
        ) as {{ dbt.type_bigint() }}) as pairs,
        step
    from timeline
),

-- Per enablement and window: the treated count and the control count (all less holders), of
-- every pair (new enablements) or of what the run changed (updated ones).
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
            as control_{{ side }}_{{ measure }}{{ "," if not (loop.last and side == 'after') }}
    {%- endfor %}
    {%- endfor %}
    from counted
    where step = 0
    group by shop_id, trust_right, enabled_at
),

-- New enablements: their counts; updated ones: the stored counts plus the change.
counts as (
    select
        shop_id,
        trust_right,
        enabled_at,
    {%- for prefix in ['before', 'after', 'control_before', 'control_after'] %}
    {%- for measure in ['buyers', 'repeat_buyers'] %}
        {{ prefix }}_{{ measure }}{{ "," if not (loop.last and prefix == 'control_after') }}
    {%- endfor %}
    {%- endfor %}
    from window_counts
    where {{ when_incremental(matches_a_row_of(
        touched_enablements(new=true), 'window_counts', keys
    )) }}
    {% if is_incremental() %}
        union all
        select
            stored.shop_id,
            stored.trust_right,
            stored.enabled_at,
        {%- for prefix in ['before', 'after', 'control_before', 'control_after'] %}
        {%- for measure in ['buyers', 'repeat_buyers'] %}
            {%- set column = prefix ~ '_' ~ measure %}
            stored.{{ column }} + coalesce(changes.{{ column }}, 0)
                as {{ column }}{{ "," if not (loop.last and prefix == 'control_after') }}
        {%- endfor %}
        {%- endfor %}
        from {{ rows_before(this) }} as stored
        left join window_counts as changes
            on stored.shop_id = changes.shop_id
            and stored.trust_right = changes.trust_right
            and stored.enabled_at = changes.enabled_at
    {% endif %}
),

data_end as (
    select max(paid_at) as last_paid_at from {{ ref('fct_orders') }}
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

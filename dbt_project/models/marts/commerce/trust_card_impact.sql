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
--
-- The counting runs in the pre-hooks, a statement per step (macros/trust_card_impact.sql): the
-- pairs counted at each window start in three arms, the shop's own (treated), every shop's
-- (all) and the holders of the right's; this model joins them to the enablements.
{%- set window_days = 90 %}
{%- set keys = ['shop_id', 'trust_right', 'enabled_at'] %}
{{ config(**keyed_state(
    keys,
    pre_hook=[
        "{{ record_holder_changes() }}",
        "{{ record_touched_enablements(90) }}",
        "{{ record_rows_before(matches_a_row_of(impact_touched_enablements(new=false), "
        ~ "this.identifier, " ~ keys ~ ")) }}",
        "{{ delete_touched_enablements() }}",
        "{{ record_window_starts() }}",
        "{{ record_pair_intervals(90) }}",
        "{{ record_arm_counts('all', 90) }}",
        "{{ record_shop_events() }}",
        "{{ record_arm_counts('treated', 90) }}",
        "{{ record_arm_counts('holders', 90) }}",
    ],
    post_hook=[
        "{{ drop_bookkeeping(impact_pair_intervals()) }}",
        "{{ drop_bookkeeping(impact_shop_events()) }}",
    ],
    deleted_first=true,
)) }}
-- depends_on: {{ ref('int_changed_paid_span') }}
-- depends_on: {{ ref('int_changed_paid_orders') }}
-- depends_on: {{ ref('int_trust_card_intervals') }}

with reads as (
    select * from {{ impact_window_reads(window_days) }} as reads
),

-- Per read: the treated count and the control count (all less holders), of every pair (new
-- enablements) or of what the run changed (updated ones).
arm_pairs as (
    select
        reads.basis,
        reads.shop_id,
        reads.trust_right,
        reads.enabled_at,
        reads.side,
        reads.measure,
        treated.pairs as treated_pairs,
        all_pairs.pairs - holders.pairs as control_pairs
    from reads
    left join {{ impact_arm_counts('treated') }} as treated
        on reads.basis = treated.basis
        and reads.shop_id = treated.arm_key
        and reads.measure = treated.measure
        and reads.window_start = treated.window_start
    left join {{ impact_arm_counts('all') }} as all_pairs
        on reads.basis = all_pairs.basis
        and reads.measure = all_pairs.measure
        and reads.window_start = all_pairs.window_start
    left join {{ impact_arm_counts('holders') }} as holders
        on reads.basis = holders.basis
        and reads.trust_right = holders.arm_key
        and reads.measure = holders.measure
        and reads.window_start = holders.window_start
),

window_counts as (
    select
        basis,
        shop_id,
        trust_right,
        enabled_at,
    {%- for side in ['before', 'after'] %}
    {%- for measure in ['buyers', 'repeat_buyers'] %}
        {%- set this_window = "side = '" ~ side ~ "' and measure = '" ~ measure ~ "'" %}
        sum(case when {{ this_window }} then treated_pairs end) as {{ side }}_{{ measure }},
        sum(case when {{ this_window }} then control_pairs end)
            as control_{{ side }}_{{ measure }}{{ "," if not (loop.last and side == 'after') }}
    {%- endfor %}
    {%- endfor %}
    from arm_pairs
    group by basis, shop_id, trust_right, enabled_at
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
    where basis = 'whole'
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
            on changes.basis = 'change'
            and stored.shop_id = changes.shop_id
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

{#-
  Incremental bookkeeping of trust_card_impact. An enablement's figures are the pairs (shop,
  buyer) counted at its two window starts (enabled_at - window_days and enabled_at): its shop's
  own pairs (treated), the pairs of every shop that never held its right (control), and whether
  its after-window has elapsed.

  A stored enablement's figures change only when a window start lies within window_days of a
  counted order the run added, removed or moved (int_changed_paid_span: only those orders' pair
  intervals change), when its right gained or lost a holder (the control arm changes by that
  shop's pairs), or when its after-window closed or reopened as the last paid_at moved. Those
  enablements are updated by the difference the run made; new ones are computed from scratch.

  Pre-hooks, in this order, before anything changes:
  1. record_holder_changes: <model>__holder_changes (shop_id, trust_right, holder_change), +1 for
     a shop that now holds a right it did not, -1 for one that no longer does;
  2. record_touched_enablements: <model>__touched, the new enablements (`is_new`) and the stored
     ones to update;
  3. record_rows_before: the stored rows of the enablements to update, in <model>__before;
  4. delete_touched_enablements: delete the touched enablements and those that no longer exist.
  On a full build the tables are empty and every enablement is computed.
-#}
{#- A bookkeeping table of trust_card_impact, named after the model whichever node renders it:
    the model's own hooks, or the analysis that hands them to benchmarks/lower_bound.py
    (analyses/trust_card_impact_pre_hooks.sql). -#}
{% macro impact_table(suffix) -%}
    {{ return(bookkeeping_relation(
        api.Relation.create(database=this.database, identifier='trust_card_impact'), suffix
    )) }}
{%- endmacro %}

{% macro impact_holder_changes() -%}
    {{ return(impact_table('__holder_changes')) }}
{%- endmacro %}

{% macro record_holder_changes() -%}
    {{ replace_table_as(impact_holder_changes()) }}
    {% if is_incremental() -%}
    with holders as (
        select distinct shop_id, trust_right from {{ ref('int_trust_card_intervals') }}
    ),

    stored_holders as (
        select distinct shop_id, trust_right from {{ this }}
    )

    select shop_id, trust_right, 1 as holder_change
    from (select * from holders except select * from stored_holders) as gained
    union all
    select shop_id, trust_right, -1 as holder_change
    from (select * from stored_holders except select * from holders) as lost
    {%- else -%}
    select
        cast(null as {{ dbt.type_string() }}) as shop_id,
        cast(null as {{ dbt.type_string() }}) as trust_right,
        cast(null as {{ dbt.type_int() }}) as holder_change
    where 1 = 0
    {%- endif %}
{%- endmacro %}

{% macro record_touched_enablements(window_days) -%}
    {{ replace_table_as(impact_table('__touched')) }}
    {% if is_incremental() -%}
    with enablements as (
        select shop_id, trust_right, enabled_at from {{ ref('int_trust_card_intervals') }}
    ),

    reach as (
        select
            {{ dbt.dateadd('day', -window_days, 'first_moved_paid_at') }} as reach_from,
            {{ dbt.dateadd('day', window_days, 'last_moved_paid_at') }} as reach_to,
            earlier_end,
            later_end
        from {{ ref('int_changed_paid_span') }}
    ),

    flagged as (
        select
            enablements.shop_id,
            enablements.trust_right,
            enablements.enabled_at,
            not exists (
                select 1 from {{ this }} as stored
                where stored.shop_id = enablements.shop_id
                    and stored.trust_right = enablements.trust_right
                    and stored.enabled_at = enablements.enabled_at
            ) as is_new,
            -- Without a moved order the reach is NULL, and so is a comparison with it.
            coalesce(
                {{ dbt.dateadd('day', -window_days, 'enablements.enabled_at') }}
                    between reach.reach_from and reach.reach_to
                or enablements.enabled_at between reach.reach_from and reach.reach_to
                or (
                    {{ dbt.dateadd('day', window_days, 'enablements.enabled_at') }}
                        > reach.earlier_end
                    and {{ dbt.dateadd('day', window_days, 'enablements.enabled_at') }}
                        <= reach.later_end
                ),
                false
            ) as reached
        from enablements
        cross join reach
    )

    select shop_id, trust_right, enabled_at, is_new
    from flagged
    where is_new
        or reached
        or trust_right in (select trust_right from {{ impact_holder_changes() }})
    {%- else -%}
    select
        cast(null as {{ dbt.type_string() }}) as shop_id,
        cast(null as {{ dbt.type_string() }}) as trust_right,
        cast(null as {{ dbt.type_timestamp() }}) as enabled_at,
        cast(null as {{ dbt.type_boolean() }}) as is_new
    where 1 = 0
    {%- endif %}
{%- endmacro %}

{#- The touched enablements that are new (`new=true`) or stored and updated, as a subquery. -#}
{% macro impact_touched_enablements(new) -%}
    (select shop_id, trust_right, enabled_at from {{ impact_table('__touched') }}
    where {{ "" if new else "not " }}is_new)
{%- endmacro %}

{#- Pre-hook: delete the touched enablements and those that no longer exist (incremental only). -#}
{% macro delete_touched_enablements() -%}
    {%- if is_incremental() -%}
    delete from {{ this }} as stored
    where {{ matches_a_row_of(
            impact_table('__touched'), 'stored', ['shop_id', 'trust_right', 'enabled_at']
        ) }}
        or not exists (
            select 1 from {{ ref('int_trust_card_intervals') }} as enablements
            where enablements.shop_id = stored.shop_id
                and enablements.trust_right = stored.trust_right
                and enablements.enabled_at = stored.enabled_at
        )
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}


{#-
  The counting itself, as statements of their own (pre-hooks 5 to 10, after the four above), each
  writing a table that the next ones read. At 100 M orders the same work as one statement held
  every arm's events at once and stopped at the 16 GB spill cap; step by step, each fits.

  A window start a of an enablement is enabled_at - window_days (side 'before') or enabled_at
  ('after'). Each (shop, buyer)'s counted orders t_1 <= t_2 <= ... cover, for measure 'buyers',
  the window starts a in (max(t_i - window_days, t_(i-1)), t_i] (the pair newly has an order in
  [a, a + window_days)), and for 'repeat_buyers' those in (max(t_i - window_days, t_(i-2)),
  t_(i-1)] (newly two). These intervals are disjoint per pair, so the pairs counted at a are the
  intervals containing it: a running sum of +1 at each interval's start and -1 at its end, read
  at a before the events at a itself. Counting by joining every window to its orders instead
  grows with enablements x orders (192 s at 1 M orders).

  Each interval carries a basis and a weight:
  - 'whole': every pair now, weight 1; read by the new enablements;
  - 'change': the pairs whose orders the run added, removed or moved, now (+1) and before the
    run (-1); read, with the holders before the run, by the stored enablements to update;
  - 'current': every pair now of a shop that gained or lost a right; the holders arm of that
    right changes by them (x holder_change).
  On a full build every interval is 'whole'.

  5. record_window_starts: <model>__window_starts (basis, shop_id, trust_right, enabled_at);
  6. record_pair_intervals: <model>__pair_intervals (basis, shop_id, measure, covered_after,
     covered_until, weight), the non-empty intervals;
  7. record_arm_counts('all'): the pairs of every shop at each window start;
  8. record_shop_events: <model>__shop_events, the summed events per (basis, shop, measure,
     instant) of the shops the treated and holders arms read;
  9. record_arm_counts('treated'): the shop's own pairs at its enablements' window starts;
  10. record_arm_counts('holders'): the pairs of the shops that hold the right.
  The control arm of a right is 'all' less 'holders' (cheaper than repeating every pair once per
  right). The post-hook drops the two tables as large as the history.
-#}
{% macro impact_window_starts() -%}
    {{ return(impact_table('__window_starts')) }}
{%- endmacro %}

{% macro impact_pair_intervals() -%}
    {{ return(impact_table('__pair_intervals')) }}
{%- endmacro %}

{% macro impact_shop_events() -%}
    {{ return(impact_table('__shop_events')) }}
{%- endmacro %}

{% macro impact_arm_counts(arm) -%}
    {{ return(impact_table('__' ~ arm ~ '_counts')) }}
{%- endmacro %}

{#- The enablements computed in this run: new ones on the basis of every pair ('whole'), stored
    ones to update on the basis of what the run changed ('change'). -#}
{% macro record_window_starts() -%}
    {{ replace_table_as(impact_window_starts()) }}
    select 'whole' as basis, enablements.shop_id, enablements.trust_right, enablements.enabled_at
    from {{ ref('int_trust_card_intervals') }} as enablements
    where {{ when_incremental(matches_a_row_of(
        impact_touched_enablements(new=true),
        'enablements',
        ['shop_id', 'trust_right', 'enabled_at']
    )) }}
    {%- if is_incremental() %}
    union all
    select 'change' as basis, shop_id, trust_right, enabled_at
    from {{ impact_touched_enablements(new=false) }} as kept
    {%- endif %}
{%- endmacro %}

{#- Every read of a window start: (basis, shop_id, trust_right, enabled_at, side, measure,
    window_start), four per enablement. -#}
{% macro impact_window_reads(window_days) -%}
    (
        select
            starts.basis,
            starts.shop_id,
            starts.trust_right,
            starts.enabled_at,
            sides.side,
            measures.measure,
            case
                when sides.side = 'before'
                    then {{ dbt.dateadd('day', -window_days, 'starts.enabled_at') }}
                else starts.enabled_at
            end as window_start
        from {{ impact_window_starts() }} as starts
        cross join (values ('before'), ('after')) as sides (side)
        cross join (values ('buyers'), ('repeat_buyers')) as measures (measure)
    )
{%- endmacro %}

{#- The shops whose pairs the holders arm of each basis counts, per right: today's holders for
    the new enablements, the holders before the run for the change of the updated ones. -#}
{% macro impact_holder_sets() -%}
    (
        with holders as (
            select distinct shop_id, trust_right from {{ ref('int_trust_card_intervals') }}
        )

        select 'whole' as basis, shop_id, trust_right from holders
        union all
        select 'change' as basis, holders.shop_id, holders.trust_right
        from holders
        where not {{ matches_a_row_of(
            impact_holder_changes(), 'holders', ['shop_id', 'trust_right']
        ) }}
        union all
        select 'change' as basis, shop_id, trust_right from {{ impact_holder_changes() }}
        where holder_change = -1
    )
{%- endmacro %}

{% macro record_pair_intervals(window_days) -%}
    {{ replace_table_as(impact_pair_intervals()) }}
    {%- set paid_reach = dbt.dateadd('day', -window_days, 'paid_at') %}
    with
    {%- if is_incremental() %}
    -- The orders whose intervals can contain a window start of the new enablements: paid from
    -- window_days before the earliest start (for the previous orders of a pair) to window_days
    -- after the latest.
    order_reach as (
        select
            {{ dbt.dateadd('day', -2 * window_days, 'min(enabled_at)') }} as reach_from,
            {{ dbt.dateadd('day', window_days, 'max(enabled_at)') }} as reach_to
        from {{ impact_window_starts() }}
        where basis = 'whole'
    ),

    -- The pairs whose intervals the run changed: those of the orders it added, removed or moved.
    moved_pairs as (
        select distinct shop_id, buyer_id from {{ ref('int_changed_paid_orders') }}
    ),

    {%- endif %}
    -- Counted orders now ('after') and, in an incremental run, the moved pairs' as they were
    -- before it ('before'). Now: all of them on a full build; otherwise those within reach of
    -- the new enablements, the moved pairs' and those of the shops that gained or lost a right
    -- (every order of a pair whose intervals are used, so that its intervals are whole).
    versioned_orders as (
        select 'after' as version, orders.shop_id, orders.buyer_id, orders.order_id, orders.paid_at
        from {{ ref('fct_orders') }} as orders
        {%- if is_incremental() %}
        cross join order_reach
        -- A run that reaches no enablement reads no order.
        where exists (select 1 from {{ impact_window_starts() }})
            and (
                orders.paid_at between order_reach.reach_from and order_reach.reach_to
                or {{ matches_a_row_of('moved_pairs', 'orders', ['shop_id', 'buyer_id']) }}
                or orders.shop_id in (select shop_id from {{ impact_holder_changes() }})
            )
        union all
        select 'before' as version, shop_id, buyer_id, order_id, paid_at
        from {{ rows_before(ref('fct_orders')) }} as orders
        where exists (select 1 from {{ impact_window_starts() }})
            and {{ matches_a_row_of('moved_pairs', 'orders', ['shop_id', 'buyer_id']) }}
        {%- endif %}
    ),

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

    intervals as (
        select
            version,
            shop_id,
            buyer_id,
            'buyers' as measure,
            greatest({{ paid_reach }}, coalesce(previous_paid_at, {{ paid_reach }}))
                as covered_after,
            paid_at as covered_until
        from sequenced
        union all
        select
            version,
            shop_id,
            buyer_id,
            'repeat_buyers' as measure,
            greatest({{ paid_reach }}, coalesce(second_previous_paid_at, {{ paid_reach }}))
                as covered_after,
            previous_paid_at as covered_until
        from sequenced
        where previous_paid_at is not null
    ),

    nonempty_intervals as (
        select * from intervals where covered_after < covered_until
    )

    select 'whole' as basis, shop_id, measure, covered_after, covered_until, 1 as weight
    from nonempty_intervals
    where version = 'after'
    {%- if is_incremental() %}
    union all
    select
        'change' as basis,
        shop_id,
        measure,
        covered_after,
        covered_until,
        case version when 'after' then 1 else -1 end as weight
    from nonempty_intervals
    where {{ matches_a_row_of('moved_pairs', 'nonempty_intervals', ['shop_id', 'buyer_id']) }}
    union all
    select 'current' as basis, shop_id, measure, covered_after, covered_until, 1 as weight
    from nonempty_intervals
    where version = 'after'
        and shop_id in (select shop_id from {{ impact_holder_changes() }})
    {%- endif %}
{%- endmacro %}

{#- An interval's two events: its weight at its start, less its weight at its end. -#}
{% macro impact_interval_events(relation, columns, where='1 = 1') -%}
    (
        select {{ columns }}, covered_after as event_at, weight as delta
        from {{ relation }} where {{ where }}
        union all
        select {{ columns }}, covered_until as event_at, -weight as delta
        from {{ relation }} where {{ where }}
    )
{%- endmacro %}

{#- The events summed per (basis, shop, measure, instant) of the shops the treated and holders
    arms read: the shops with a window start of the basis, the holders of a right with one, and
    ('current') the shops that gained or lost a right. -#}
{% macro record_shop_events() -%}
    {{ replace_table_as(impact_shop_events()) }}
    with read_shops as (
        select distinct basis, shop_id from {{ impact_window_starts() }}
        union
        select holder_sets.basis, holder_sets.shop_id
        from {{ impact_holder_sets() }} as holder_sets
        where exists (
                select 1 from {{ impact_window_starts() }} as starts
                where starts.basis = holder_sets.basis
                    and starts.trust_right = holder_sets.trust_right
            )
        union
        select 'current' as basis, shop_id from {{ impact_holder_changes() }}
    )

    select
        events.basis,
        events.shop_id,
        events.measure,
        events.event_at,
        cast(sum(events.delta) as {{ dbt.type_bigint() }}) as delta
    from {{ impact_interval_events(impact_pair_intervals(), 'basis, shop_id, measure') }} as events
    where {{ matches_a_row_of('read_shops', 'events', ['basis', 'shop_id']) }}
    group by events.basis, events.shop_id, events.measure, events.event_at
    having sum(events.delta) <> 0
{%- endmacro %}

{#-
  The pairs counted at each window start that reads `arm` ('all', 'treated' or 'holders'):
  (basis, arm_key, measure, window_start, pairs), where arm_key is the shop (treated), the right
  (holders) or 'all'. The arm's events, summed per instant, and its window starts (delta 0) in one
  timeline; at equal instants the window start is read first (step 0), so that an interval
  (after, until] contains a exactly when after < a <= until.
-#}
{% macro record_arm_counts(arm, window_days) -%}
    {%- set arm_key = {'all': "'all'", 'treated': 'shop_id', 'holders': 'trust_right'}[arm] %}
    {{ replace_table_as(impact_arm_counts(arm)) }}
    with arm_events as (
    {%- if arm == 'all' %}
        select
            basis, 'all' as arm_key, measure, event_at,
            cast(sum(delta) as {{ dbt.type_bigint() }}) as delta
        from {{ impact_interval_events(
            impact_pair_intervals(), 'basis, measure', "basis <> 'current'"
        ) }} as events
        group by basis, measure, event_at
    {%- elif arm == 'treated' %}
        select basis, shop_id as arm_key, measure, event_at, delta
        from {{ impact_shop_events() }} as events
        where {{ matches_a_row_of(impact_window_starts(), 'events', ['basis', 'shop_id']) }}
    {%- else %}
        select events.basis, holder_sets.trust_right as arm_key, events.measure, events.event_at,
            sum(events.delta) as delta
        from {{ impact_shop_events() }} as events
        inner join {{ impact_holder_sets() }} as holder_sets
            on events.basis = holder_sets.basis
            and events.shop_id = holder_sets.shop_id
        where {{ matches_a_row_of(
            impact_window_starts(), 'holder_sets', ['basis', 'trust_right']
        ) }}
        group by events.basis, holder_sets.trust_right, events.measure, events.event_at
        union all
        select 'change' as basis, changes.trust_right as arm_key, events.measure, events.event_at,
            sum(changes.holder_change * events.delta) as delta
        from {{ impact_shop_events() }} as events
        inner join {{ impact_holder_changes() }} as changes on events.shop_id = changes.shop_id
        where events.basis = 'current'
        group by changes.trust_right, events.measure, events.event_at
    {%- endif %}
    ),

    timeline as (
        select basis, arm_key, measure, event_at, 1 as step, delta from arm_events
        union all
        select distinct
            basis, {{ arm_key }} as arm_key, measure, window_start as event_at,
            0 as step, 0 as delta
        from {{ impact_window_reads(window_days) }} as reads
    ),

    counted as (
        select
            basis,
            arm_key,
            measure,
            event_at,
            step,
            -- Summed as doubles: exact (every running count is an integer far below 2^53), and a
            -- running sum of integers is a 128-bit one in DuckDB, six times slower over the
            -- millions of events of the pooled arm (22 s against 3.6 s at 1.65 M orders).
            cast(sum(cast(delta as double)) over (
                partition by basis, arm_key, measure
                order by event_at, step
                rows between unbounded preceding and current row
            ) as {{ dbt.type_bigint() }}) as pairs
        from timeline
    )

    select basis, arm_key, measure, event_at as window_start, pairs
    from counted
    where step = 0
{%- endmacro %}

{#- Post-hook: drop a bookkeeping table as large as the history once the model is built. -#}
{% macro drop_bookkeeping(relation) -%}
    drop table if exists {{ relation }}
{%- endmacro %}

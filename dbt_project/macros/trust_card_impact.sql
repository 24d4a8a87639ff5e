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
{% macro holder_changes() -%}
    {{ return(bookkeeping_relation(this, '__holder_changes')) }}
{%- endmacro %}

{% macro record_holder_changes() -%}
    {{ replace_table_as(holder_changes()) }}
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
    {{ replace_table_as(touched_keys()) }}
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
        or trust_right in (select trust_right from {{ holder_changes() }})
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
{% macro touched_enablements(new) -%}
    (select shop_id, trust_right, enabled_at from {{ touched_keys() }}
    where {{ "" if new else "not " }}is_new)
{%- endmacro %}

{#- Pre-hook: delete the touched enablements and those that no longer exist (incremental only). -#}
{% macro delete_touched_enablements() -%}
    {%- if is_incremental() -%}
    delete from {{ this }} as stored
    where {{ matches_a_row_of(touched_keys(), 'stored', ['shop_id', 'trust_right', 'enabled_at']) }}
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

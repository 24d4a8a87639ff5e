{#-
  Pre-hook of trust_card_impact: the enablements an incremental run recomputes, in
  <model>__touched. An enablement's figures are the pairs (shop, buyer) counted at its two
  window starts (enabled_at - window_days and enabled_at), the holders of its right (the
  control arm leaves them out) and whether its after-window has elapsed. So it is recomputed when
  it is new, when the set of shops holding its right changed, when a window start lies within
  window_days of a counted order that was added, removed or moved (int_changed_paid_span: only
  those orders' pair intervals change), or when its after-window closed or reopened as the last
  paid_at moved.
-#}
{% macro record_touched_enablements(window_days) -%}
    {{ replace_table_as(touched_keys()) }}
    {% if is_incremental() -%}
    with enablements as (
        select shop_id, trust_right, enabled_at from {{ ref('int_trust_card_intervals') }}
    ),

    stored as (
        select shop_id, trust_right, enabled_at from {{ this }}
    ),

    changed_rights as (
        select trust_right from (
            select shop_id, trust_right from enablements
            except
            select shop_id, trust_right from stored
        ) as gained
        union
        select trust_right from (
            select shop_id, trust_right from stored
            except
            select shop_id, trust_right from enablements
        ) as lost
    ),

    reach as (
        select
            {{ dbt.dateadd('day', -window_days, 'first_moved_paid_at') }} as reach_from,
            {{ dbt.dateadd('day', window_days, 'last_moved_paid_at') }} as reach_to,
            earlier_end,
            later_end
        from {{ ref('int_changed_paid_span') }}
    )

    select enablements.shop_id, enablements.trust_right, enablements.enabled_at
    from enablements
    cross join reach
    where not exists (
            select 1 from stored
            where stored.shop_id = enablements.shop_id
                and stored.trust_right = enablements.trust_right
                and stored.enabled_at = enablements.enabled_at
        )
        or enablements.trust_right in (select trust_right from changed_rights)
        or {{ dbt.dateadd('day', -window_days, 'enablements.enabled_at') }}
            between reach.reach_from and reach.reach_to
        or enablements.enabled_at between reach.reach_from and reach.reach_to
        or (
            {{ dbt.dateadd('day', window_days, 'enablements.enabled_at') }} > reach.earlier_end
            and {{ dbt.dateadd('day', window_days, 'enablements.enabled_at') }}
                <= reach.later_end
        )
    {%- else -%}
    select
        cast(null as {{ dbt.type_string() }}) as shop_id,
        cast(null as {{ dbt.type_string() }}) as trust_right,
        cast(null as {{ dbt.type_timestamp() }}) as enabled_at
    where 1 = 0
    {%- endif %}
{%- endmacro %}

{#- Pre-hook: delete the touched enablements and those that no longer exist (incremental only). -#}
{% macro delete_touched_enablements() -%}
    {%- if is_incremental() -%}
    delete from {{ this }} as stored
    where exists (
            select 1 from {{ touched_keys() }} as touched
            where touched.shop_id = stored.shop_id
                and touched.trust_right = stored.trust_right
                and touched.enabled_at = stored.enabled_at
        )
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

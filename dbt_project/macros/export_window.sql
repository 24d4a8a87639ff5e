{#-
  Incremental models process the export dates of the run's window (YYYY-MM-DD, inclusive).
  Dagster widens a run's window itself to every date loaded since the last successful build
  (orchestration/warehouse/build_log.py), so a load whose build failed is never missed; a plain
  dbt user may widen it by `lookback_days` (default 0). Dagster passes the window in the
  environment variables LCW_EXPORT_DATE_FROM and
  LCW_EXPORT_DATE_TO, not as vars: vars that change from run to run would make dbt parse the
  whole project again on every run. A plain dbt user may pass the vars `export_date_from` and
  `export_date_to` instead. Outside an incremental run (first build, --full-refresh, or no
  window given) the filter is always true: everything is processed.
-#}
{% macro export_window_bounds() -%}
    {{ return(given_export_window() if is_incremental() else none) }}
{%- endmacro %}

{#-
  The window given to this invocation, as [first, last] date expressions; none if none.
  Read only when dbt executes, never while it parses: dbt records a variable read while parsing
  in the file that read it (18 files: the tests, through where_subquery, and one model), and
  parses those files again whenever its value differs, i.e. on every run (about 2 s a run).
  Nothing parsed depends on the window.
-#}
{% macro given_export_window() -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set window_from = var('export_date_from', env_var('LCW_EXPORT_DATE_FROM', '')) -%}
    {%- set window_to = var('export_date_to', env_var('LCW_EXPORT_DATE_TO', '')) -%}
    {%- if window_from and window_to -%}
        {%- set widened_from = dbt.dateadd(
            'day', -1 * var('lookback_days', 0) | int, "cast('" ~ window_from ~ "' as date)"
        ) -%}
        {{ return([widened_from, "cast('" ~ window_to ~ "' as date)"]) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}

{% macro in_export_window(column) -%}
    {%- set bounds = export_window_bounds() -%}
    {%- if bounds -%}
        {{ column }} between {{ bounds[0] }} and {{ bounds[1] }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- True when a stored span of export dates [first_column, last_column] overlaps the window. -#}
{% macro export_span_overlaps_window(first_column, last_column) -%}
    {%- set bounds = export_window_bounds() -%}
    {%- if bounds -%}
        ({{ first_column }} <= {{ bounds[1] }} and {{ last_column }} >= {{ bounds[0] }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#-
  The keys an incremental run must recompute: those with a row exported in the window now, and
  those whose stored row came from the window (so a corrected re-export that changed or dropped
  it is seen). `source_relation` must expose `exported_on` as a column it can filter on cheaply.
-#}
{% macro keys_in_export_window(source_relation, key) -%}
    select {{ key }} from {{ source_relation }}
    where {{ in_export_window('exported_on') }}
    union
    select {{ key }} from {{ this }}
    where {{ in_export_window('exported_on') }}
{%- endmacro %}


{#-
  Recompute-by-key for incremental models, in three steps that every adapter can run:
    1. pre-hook  `record_touched_keys`: store the keys the run touches (keys_in_export_window)
       in a small table beside the model, <model>__touched, before anything changes;
    2. pre-hook  `delete_touched_keys`: delete the model's rows of those keys, so a key whose
       recomputation yields no row any more (a re-export dropped it) disappears;
    3. the model selects only `where <key> in (select <key> from touched_keys(...))` and the
       incremental strategy appends (`keyed_state(..., deleted_first=true)`).
  The touched keys are read from the table, never recomputed after step 2, so steps 2 and 3
  agree. A post-hook `drop_touched_keys` removes the table. Outside incremental runs every step
  is a no-op and the model builds in full.
-#}
{% macro touched_keys() -%}
    {{ return(bookkeeping_relation(this, '__touched')) }}
{%- endmacro %}

{#-
  A bookkeeping table of an incremental model (<model>__touched, <model>__before): always in the
  intermediate schema, so that none ever lands in the marts schema that is published.
-#}
{% macro bookkeeping_relation(model_relation, suffix) -%}
    {{ return(api.Relation.create(
        database=model_relation.database,
        schema=generate_schema_name('intermediate', none),
        identifier=model_relation.identifier ~ suffix,
    )) }}
{%- endmacro %}

{% macro record_touched_keys(source_relation, key) -%}
    {{ return(adapter.dispatch('record_touched_keys', 'live_commerce_warehouse')(source_relation, key)) }}
{%- endmacro %}

{% macro default__record_touched_keys(source_relation, key) -%}
    {{ replace_table_as(touched_keys()) }}
    {% if is_incremental() -%}
    {{ keys_in_export_window(source_relation, key) }}
    {%- else -%}
    select cast(null as {{ dbt.type_string() }}) as {{ key }} where 1 = 0
    {%- endif %}
{%- endmacro %}

{% macro delete_touched_keys(key) -%}
    {{ return(adapter.dispatch('delete_touched_keys', 'live_commerce_warehouse')(key)) }}
{%- endmacro %}

{% macro default__delete_touched_keys(key) -%}
    {%- if is_incremental() -%}
    delete from {{ this }} where {{ of_touched_keys(key) }}
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{#- `create or replace table <relation> as`, per adapter (macros/spark/incremental.sql). -#}
{% macro replace_table_as(relation) -%}
    {{ return(adapter.dispatch('replace_table_as', 'live_commerce_warehouse')(relation)) }}
{%- endmacro %}

{% macro default__replace_table_as(relation) -%}
    create or replace table {{ relation }} as
{%- endmacro %}

{% macro drop_touched_keys() -%}
    drop table if exists {{ touched_keys() }}
{%- endmacro %}


{#-
  The incremental strategy of a model that keeps state keyed by `unique_key`, per adapter; on
  Spark see macros/spark/incremental.sql. `deleted_first`: the model's pre-hooks have deleted
  every row whose key it writes (the touched keys, buyers or periods), so the run only appends;
  dbt's delete+insert would look up the whole table for its keys again, at a cost that grows
  with the history. A pre-hook that missed a key would leave a stale row beside the new one:
  the model's uniqueness test (where its rows have a key) and tests/e2e/test_incremental.py
  (every incremental path equals a full refresh) find it. Models that update stored rows by
  difference (upserts) keep delete+insert.
-#}
{% macro keyed_incremental_strategy(deleted_first=false) -%}
    {{ return(adapter.dispatch('keyed_incremental_strategy', 'live_commerce_warehouse')(deleted_first)) }}
{%- endmacro %}

{% macro default__keyed_incremental_strategy(deleted_first) -%}
    {{ return('append' if deleted_first else 'delete+insert') }}
{%- endmacro %}


{#-
  Buyer-level state. Repurchase sequences, point-in-time attribution and scope membership of an
  order depend on the buyer's other orders and follows, so the models that hold them
  (int_order_positions, fct_orders and the view int_orders_by_scope over it) recompute whole
  buyers: those in int_touched_buyers. Each of them deletes its rows of those buyers first.
-#}
{% macro touched_keys_of(relation) -%}
    {{ return(bookkeeping_relation(relation, '__touched')) }}
{%- endmacro %}

{% macro delete_touched_buyers() -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where buyer_id in (select buyer_id from {{ ref('int_touched_buyers') }})
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{% macro of_touched_buyers(buyer_column='buyer_id') -%}
    {{ when_incremental(
        buyer_column ~ ' in (select buyer_id from ' ~ ref('int_touched_buyers') ~ ')'
    ) }}
{%- endmacro %}


{#-
  Pre-hook of int_orders_latest: the touched orders with the buyer they had before the run (a
  new version may move an order to another buyer; both buyers are recomputed downstream). Kept
  after the run for int_touched_buyers; empty on a full build.
-#}
{% macro record_touched_orders() -%}
    {{ replace_table_as(touched_keys()) }}
    {% if is_incremental() -%}
    select touched.order_id, stored.buyer_id as previous_buyer_id
    from ({{ keys_in_export_window(ref('stg_platform__orders'), 'order_id') }}) as touched
    left join {{ this }} as stored on touched.order_id = stored.order_id
    {%- else -%}
    select
        cast(null as {{ dbt.type_string() }}) as order_id,
        cast(null as {{ dbt.type_string() }}) as previous_buyer_id
    where false
    {%- endif %}
{%- endmacro %}


{#-
  Pre-hook of int_follow_intervals: the followers named by any version of a follow event exported
  in the window (a later export that moves an event to another follower changes both), or with a
  stored pair whose events' export dates span the window (a re-export may have dropped one of
  them). Kept after the run for int_touched_buyers; empty on a full build.
-#}
{% macro record_touched_followers() -%}
    {{ replace_table_as(touched_keys()) }}
    {% if is_incremental() -%}
    select follower_id from {{ ref('stg_platform__follows') }}
    where event_id in (
        select event_id from {{ ref('stg_platform__follows') }}
        where {{ in_export_window('exported_on') }}
    )
    union
    select follower_id from {{ this }}
    where {{ export_span_overlaps_window('first_exported_on', 'last_exported_on') }}
    {%- else -%}
    select cast(null as {{ dbt.type_string() }}) as follower_id
    where false
    {%- endif %}
{%- endmacro %}


{#-
  The row `row_alias` matches a row of `keys_relation` (a table of touched or changed keys) on
  `columns`: each a column both have, or a pair [row column, key column] when the names differ.
  A semi join: a row matching several keys still counts once.
-#}
{% macro matches_a_row_of(keys_relation, row_alias, columns) -%}
    exists (
        select 1 from {{ keys_relation }} as touched
        where {% for column in columns -%}
            {%- set row_column, key_column = [column, column] if column is string else column -%}
            touched.{{ key_column }} = {{ row_alias }}.{{ row_column }}{{ " and " if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{#- Delete the model's rows whose `columns` match a row of `keys_relation` (incremental only). -#}
{% macro delete_matching(keys_relation, columns) -%}
    {%- if is_incremental() -%}
    delete from {{ this }} as target
    where {{ matches_a_row_of(keys_relation, 'target', columns) }}
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}


{#-
  The config every keyed incremental model shares: `{{ config(**keyed_state('order_id',
  pre_hook=[...])) }}`. Incremental by `unique_key` with the adapter's strategy, failing on a
  change of columns (the fix is `lcw run --full-refresh`), run per export-date window.
  `recompute_in='int_touched_...'`: the model's rows whose unique key is a row of that
  bookkeeping model are deleted first (delete_matching), and the model recomputes them.
  `deleted_first=true`: the model's own pre-hooks delete every row it writes again (implied by
  `recompute_in`), so the run appends (keyed_incremental_strategy).
-#}
{% macro keyed_state(unique_key, pre_hook=[], post_hook=[], recompute_in=none, deleted_first=false) -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- if recompute_in is not none -%}
        {%- do ref(recompute_in) -%}  {#- the model depends on it -#}
        {%- set pre_hook = pre_hook + [
            "{{ delete_matching(ref('" ~ recompute_in ~ "'), " ~ keys ~ ") }}"
        ] -%}
    {%- endif -%}
    {{ return({
        'materialized': 'incremental',
        'unique_key': unique_key,
        'incremental_strategy': keyed_incremental_strategy(
            deleted_first or recompute_in is not none
        ),
        'on_schema_change': 'fail',
        'pre_hook': pre_hook,
        'post_hook': post_hook,
    }) }}
{%- endmacro %}

{#- The model's rows whose `key` is among the touched keys (a slice condition). -#}
{% macro of_touched_keys(key) -%}
    {{ key }} in (select {{ key }} from {{ touched_keys() }})
{%- endmacro %}


{#-
  The first days of the months that the export window (widened by lookback_days) overlaps, as
  'YYYY-MM-DD' strings, in order; empty outside an incremental run. Models that keep state by
  month (a month's fan tier comes from its last snapshot) recompute these months.
-#}
{% macro export_window_months() -%}
    {#- Not while parsing (see given_export_window). -#}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set window_from = var('export_date_from', env_var('LCW_EXPORT_DATE_FROM', '')) -%}
    {%- set window_to = var('export_date_to', env_var('LCW_EXPORT_DATE_TO', '')) -%}
    {%- if not (is_incremental() and window_from and window_to) -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set dt = modules.datetime -%}
    {%- set first = dt.date.fromisoformat(window_from)
        - dt.timedelta(days=var('lookback_days', 0) | int) -%}
    {%- set last = dt.date.fromisoformat(window_to) -%}
    {%- set months = [] -%}
    {%- set month = namespace(year=first.year, number=first.month) -%}
    {%- for _ in range((last.year - first.year) * 12 + last.month - first.month + 1) -%}
        {%- do months.append(dt.date(month.year, month.number, 1).isoformat()) -%}
        {%- set month.year = month.year + (month.number // 12) -%}
        {%- set month.number = month.number % 12 + 1 -%}
    {%- endfor -%}
    {{ return(months) }}
{%- endmacro %}

{#- `column` (a date) falls in one of the export window's months; true outside incremental runs. -#}
{% macro in_export_window_months(column) -%}
    {%- set months = export_window_months() -%}
    {%- if months -%}
        {%- set last = modules.datetime.date.fromisoformat(months[-1]) -%}
        {%- set after_last = last.replace(year=last.year + last.month // 12, month=last.month % 12 + 1) -%}
        {{ column }} >= cast('{{ months[0] }}' as date)
        and {{ column }} < cast('{{ after_last.isoformat() }}' as date)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook: the export window's months (export_window_months) in <model>__touched. An
    incremental run given no window processes every snapshot again (in_export_window_months is
    true): then every month, stored or in `source_relation`, is touched, so that each month's
    rows are deleted before they are written again. -#}
{% macro record_touched_months(source_relation) -%}
    {{ replace_table_as(touched_keys()) }}
    {%- set months = export_window_months() %}
    {% if months -%}
    {% for month in months -%}
    select cast('{{ month }}' as date) as month_start
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}
    {%- elif is_incremental() -%}
    select month_start from {{ this }}
    union
    select {{ period_start('month', 'exported_on') }} as month_start from {{ source_relation }}
    {%- else -%}
    select cast(null as date) as month_start where 1 = 0
    {%- endif %}
{%- endmacro %}

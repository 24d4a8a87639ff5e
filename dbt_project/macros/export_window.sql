{#-
  Incremental models process the export dates of the Dagster partition window (YYYY-MM-DD,
  inclusive), widened by `lookback_days` so a partition re-exported a few days late is picked up
  again. Dagster passes the window in the environment variables LCW_EXPORT_DATE_FROM and
  LCW_EXPORT_DATE_TO, not as vars: vars that change from run to run would make dbt parse the
  whole project again on every run. A plain dbt user may pass the vars `export_date_from` and
  `export_date_to` instead. Outside an incremental run (first build, --full-refresh, or no
  window given) the filter is always true: everything is processed.
-#}
{% macro in_export_window(column) -%}
    {%- set window_from = var('export_date_from', env_var('LCW_EXPORT_DATE_FROM', '')) -%}
    {%- set window_to = var('export_date_to', env_var('LCW_EXPORT_DATE_TO', '')) -%}
    {%- if is_incremental() and window_from and window_to -%}
        {{ column }} between
            {{ dbt.dateadd('day', -1 * var('lookback_days', 3) | int, "cast('" ~ window_from ~ "' as date)") }}
            and cast('{{ window_to }}' as date)
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
       incremental strategy inserts (merge or delete+insert by the same key is then a no-op
       delete).
  The touched keys are read from the table, never recomputed after step 2, so steps 2 and 3
  agree. A post-hook `drop_touched_keys` removes the table. Outside incremental runs every step
  is a no-op and the model builds in full.
-#}
{% macro touched_keys() -%}
    {{ return(api.Relation.create(
        database=this.database, schema=this.schema, identifier=this.identifier ~ '__touched'
    )) }}
{%- endmacro %}

{% macro record_touched_keys(source_relation, key) -%}
    {{ return(adapter.dispatch('record_touched_keys', 'live_commerce_warehouse')(source_relation, key)) }}
{%- endmacro %}

{% macro default__record_touched_keys(source_relation, key) -%}
    {%- if is_incremental() -%}
    create or replace table {{ touched_keys() }} as
    {{ keys_in_export_window(source_relation, key) }}
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{% macro delete_touched_keys(key) -%}
    {{ return(adapter.dispatch('delete_touched_keys', 'live_commerce_warehouse')(key)) }}
{%- endmacro %}

{% macro default__delete_touched_keys(key) -%}
    {%- if is_incremental() -%}
    delete from {{ this }} where {{ key }} in (select {{ key }} from {{ touched_keys() }})
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{% macro drop_touched_keys() -%}
    drop table if exists {{ touched_keys() }}
{%- endmacro %}


{#-
  The incremental strategy of a model that keeps state keyed by `unique_key`, per adapter:
  delete+insert on DuckDB (and by default); on Spark see macros/spark/incremental.sql. Models that keep aggregates
  by period would use insert_overwrite by period partition on Spark.
-#}
{% macro keyed_incremental_strategy() -%}
    {{ return(adapter.dispatch('keyed_incremental_strategy', 'live_commerce_warehouse')()) }}
{%- endmacro %}

{% macro default__keyed_incremental_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}



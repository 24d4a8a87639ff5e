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
  those whose stored row came from the window (so a corrected re-export replaces it).
-#}
{% macro keys_in_export_window(source_relation, key) -%}
    select {{ key }} from {{ source_relation }}
    where {{ in_export_window('exported_on') }}
    union
    select {{ key }} from {{ this }}
    where {{ in_export_window('exported_on') }}
{%- endmacro %}


{#-
  A post-hook for the incremental models: delete the rows that came from the window's export
  dates but whose key no longer exists in staging at all (a corrected re-export dropped it).
  delete+insert alone only replaces keys that are still present.
-#}
{% macro delete_keys_gone_from(source_relation, key) -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where {{ in_export_window('exported_on') }}
        and {{ key }} not in (select {{ key }} from {{ source_relation }})
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

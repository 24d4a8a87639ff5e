{#-
  The published copy BI reads is a DuckDB file on both engines (orchestration/warehouse).
  On DuckDB the publish step copies the warehouse's `marts` schema. On Spark each mart, once
  built, is also written as plain Parquet to `<lake_root>/for_publishing/<mart>/` (column order
  and types as built, timestamps as UTC-adjusted instants: profile
  spark.sql.parquet.outputTimestampType), and the publish step reads those folders into the
  same DuckDB file (orchestration/warehouse/spark_marts.py). A post-hook of every model; it
  writes those of the `marts` schema.
-#}
{% macro export_for_publishing() -%}
    {{ return(adapter.dispatch('export_for_publishing', 'live_commerce_warehouse')()) }}
{%- endmacro %}

{% macro default__export_for_publishing() -%}
{%- endmacro %}

{% macro spark__export_for_publishing() -%}
    {%- if this.schema == 'marts' -%}
    insert overwrite directory '{{ lake_root() }}/for_publishing/{{ this.identifier }}'
    using parquet
    select * from {{ this }}
    {%- endif -%}
{%- endmacro %}


{#- The spark engine's lake root (Settings.lake_directory; LCW_LAKE for plain dbt). -#}
{% macro lake_root() -%}
    {{- var('lake_root', env_var('LCW_LAKE', '../data/lake')) -}}
{%- endmacro %}

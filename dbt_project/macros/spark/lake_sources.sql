{#-
  on-run-start: the raw layer as dbt sources. On DuckDB ingestion writes `raw.*` in the
  warehouse itself, so there is nothing to do. On Spark the raw layer is Parquet in the lake
  (`<lake_root>/raw`, written by orchestration/landing/lake.py); this creates the `raw`
  database and one view per table over its files, so `source('platform', ...)` reads the same
  columns on both engines (plus `dt`, the partition folder). Views read the folder afresh at
  every query: partitions added by a later ingestion need no metadata refresh. No dbt Hub
  package (dbt-external-tables) is needed for this.
  With `sample_data` the sources are the sample seeds, and nothing is registered.
-#}
{% macro register_lake_sources() -%}
    {{ return(adapter.dispatch('register_lake_sources', 'live_commerce_warehouse')()) }}
{%- endmacro %}

{% macro default__register_lake_sources() -%}
{%- endmacro %}

{% macro spark__register_lake_sources() -%}
    {%- if execute and not (var('sample_data', false) | as_bool) -%}
        {%- set raw = lake_root() ~ '/raw' -%}
        {%- do run_query('create database if not exists raw') -%}
        {%- for source in graph.sources.values() if source.source_name == 'platform' -%}
            {%- do run_query(
                'create or replace view raw.' ~ source.name
                ~ ' as select * from parquet.`' ~ raw ~ '/' ~ source.name ~ '`'
            ) -%}
        {%- endfor -%}
        {#- The bookkeeping tables, with their DuckDB column names back (lake.py). -#}
        {%- set accounting = {
            'rejected_rows': 'source_file, source_row, reason_code, reason, raw_record',
            'load_audit': 'files, rows_read, rows_loaded, rows_rejected, loaded_at',
        } -%}
        {%- for table, columns in accounting.items() -%}
            {%- do run_query(
                'create or replace view raw.' ~ table
                ~ ' as select source, dt as partition_dt, ' ~ columns
                ~ ' from parquet.`' ~ raw ~ '/' ~ table ~ '`'
            ) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

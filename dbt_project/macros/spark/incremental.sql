{#-
  The incremental models on Spark: every run rebuilds each of them in full.

  The Spark target keeps its tables as plain Parquet (no Delta or Iceberg jars can be fetched
  here, and a cluster may not have them): such tables take no DELETE, no MERGE and no CREATE OR
  REPLACE, only INSERT OVERWRITE. So on Spark `is_incremental()` is always false: the models
  select everything, the pre-hooks that record touched keys only create their empty bookkeeping
  tables and the ones that delete do nothing, and the `insert_overwrite` strategy (without
  partitions) replaces the whole table with that full result. The result equals a full refresh
  by construction; the cost is a full rebuild of these models on each run. Recomputing only what
  a window touches needs Delta or Iceberg (`merge` by the same unique key) or models
  partitioned by period (docs/scale-out.md). On every other adapter `is_incremental()` is dbt's.
-#}
{% macro is_incremental() -%}
    {%- if target.type == 'spark' -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(dbt.is_incremental()) }}
{%- endmacro %}

{% macro spark__keyed_incremental_strategy(deleted_first) -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}

{#- Plain Parquet tables have no CREATE OR REPLACE: drop, then create. -#}
{% macro spark__replace_table_as(relation) -%}
    {%- do run_query('drop table if exists ' ~ relation) -%}
    create table {{ relation }} as
{%- endmacro %}

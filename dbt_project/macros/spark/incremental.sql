{#-
  The keyed incremental models (export_window.sql) on Spark.

  The Spark target keeps its tables as plain Parquet (no Delta or Iceberg jars can be fetched
  here, and a cluster may not have them): such tables take no DELETE and no MERGE, only
  INSERT OVERWRITE. So on Spark an incremental run overwrites the model with its recomputation
  for every key (`insert_overwrite` without partitions replaces the whole table): every key
  is "touched", nothing is deleted first. The result equals a full refresh by construction; the
  cost is a full rebuild of these models on each run. Recomputing only the touched periods
  needs the models partitioned by period (insert_overwrite by partition); with Delta on a
  cluster, `merge` by the same unique key is the other way (docs/scale-out.md).
-#}
{% macro spark__keyed_incremental_strategy() -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}

{% macro spark__record_touched_keys(source_relation, key) -%}
    {%- if is_incremental() -%}
    {%- do run_query('drop table if exists ' ~ touched_keys()) -%}
    create table {{ touched_keys() }} as select distinct {{ key }} from {{ source_relation }}
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{% macro spark__delete_touched_keys(key) -%}
    select 1
{%- endmacro %}

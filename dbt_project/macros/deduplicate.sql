{#-
  One row per `unique_by` key from `relation`: the row with the greatest `latest_by` (a list of
  columns, compared in order, e.g. export date, file, row). The row is chosen with a hash
  aggregate (arg_max of the whole row on one composite ordering key), never a sort of the
  relation; `latest_by` must identify a row within a key, so the choice is deterministic.
  Returns the relation's own columns, in their order and types.
-#}
{% macro deduplicate(relation, unique_by, latest_by) -%}
    {{ return(adapter.dispatch('deduplicate', 'live_commerce_warehouse')(relation, unique_by, latest_by)) }}
{%- endmacro %}

{#- Portable fallback (Snowflake, BigQuery, Databricks): a window, which sorts. -#}
{% macro default__deduplicate(relation, unique_by, latest_by) -%}
select *
from {{ relation }}
qualify row_number() over (
    partition by {{ unique_by | join(', ') }}
    order by {% for column in latest_by %}{{ column }} desc{{ ", " if not loop.last }}{% endfor %}
) = 1
{%- endmacro %}

{#-
  On DuckDB a row_number() window whose ORDER BY is one composite key becomes a hash aggregate
  (arg_max by rowid, then a semi join), never a sort (check with EXPLAIN). Written as a window,
  a filter on a `unique_by` column (e.g. the export date of a view over raw) still reaches the
  scan below it, so an incremental model reading a deduplicated staging view for a window of
  export dates reads only those dates.
-#}
{% macro duckdb__deduplicate(relation, unique_by, latest_by) -%}
select *
from {{ relation }}
qualify row_number() over (
    partition by {{ unique_by | join(', ') }}
    order by {{ ordering_key(latest_by) }} desc
) = 1
{%- endmacro %}

{% macro spark__deduplicate(relation, unique_by, latest_by) -%}
select latest_rows.latest_row.*
from (
    select {{ arg_max('struct(candidates.*)', ordering_key(latest_by)) }} as latest_row
    from {{ relation }} as candidates
    group by {{ unique_by | join(', ') }}
) as latest_rows
{%- endmacro %}


{#- The value of `value` on the row where `ordering` is greatest, per group. -#}
{% macro arg_max(value, ordering) -%}
    {{ return(adapter.dispatch('arg_max', 'live_commerce_warehouse')(value, ordering)) }}
{%- endmacro %}

{% macro default__arg_max(value, ordering) -%}
    arg_max({{ value }}, {{ ordering }})
{%- endmacro %}

{% macro spark__arg_max(value, ordering) -%}
    max_by({{ value }}, {{ ordering }})
{%- endmacro %}


{#- Several columns as one value that orders like the columns compared in turn. -#}
{% macro ordering_key(columns) -%}
    {{ return(adapter.dispatch('ordering_key', 'live_commerce_warehouse')(columns)) }}
{%- endmacro %}

{% macro default__ordering_key(columns) -%}
    row({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__ordering_key(columns) -%}
    struct({{ columns | join(', ') }})
{%- endmacro %}


{#- The raw lineage columns under their staging names (raw.* carries them with a leading _). -#}
{% macro lineage_renamed() -%}
    _partition_dt as exported_on,
        _source_file as source_file,
        _source_row as source_row
{%- endmacro %}

{#- Where a staged row came from, latest last: export date, then file, then row in the file. -#}
{% macro lineage_columns() -%}
    {{ return(['exported_on', 'source_file', 'source_row']) }}
{%- endmacro %}


{#-
  A staging model of a platform source in which the latest export of a row wins: the select
  expressions `columns` (the contract's columns, renamed or quoted where needed) with the lineage
  columns, one row per `unique_by` key, the latest by export date, file and row (deduplicate).
-#}
{% macro latest_export_of(source_table, columns, unique_by) -%}
with renamed as (
    select
        {{ columns | join(',\n        ') }},
        {{ lineage_renamed() }}
    from {{ source('platform', source_table) }}
)

{{ deduplicate('renamed', unique_by=unique_by, latest_by=lineage_columns()) }}
{%- endmacro %}

{#-
  Which rows a keyed incremental model really changed in this run, so that the aggregate marts
  built from it recompute only the periods those rows fall in (not every period of a touched
  buyer's whole history).

  A model that recomputes a slice of its rows (the rows of touched keys) copies that slice, as
  stored before the run, into <model>__before (pre-hook `record_rows_before`, placed before the
  pre-hook that deletes the slice). After the run the slice is recomputed; `changed_rows` is
  then the symmetric difference of the slice before and after: rows that appeared, disappeared
  or changed in any column. On a full build (first run, --full-refresh) the copy is empty (post-
  hook `empty_rows_before`), so nothing counts as changed: every mart builds in full anyway.

  fct_orders, whose slice (the touched buyers' rows) many models read after it, also copies the
  slice as the run left it into <model>__after (post-hook `record_rows_after`): they read those
  rows, not the whole table again, which cost a scan of the order history each.
-#}
{% macro rows_before(relation) -%}
    {{ return(bookkeeping_relation(relation, '__before')) }}
{%- endmacro %}

{#- Pre-hook: the model's rows matching `slice_condition`, as stored before this run. -#}
{% macro record_rows_before(slice_condition) -%}
    {%- if is_incremental() -%}
    {{ replace_table_as(rows_before(this)) }}
    {{ rows_where(this, slice_condition) }}
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{% macro rows_after(relation) -%}
    {{ return(bookkeeping_relation(relation, '__after')) }}
{%- endmacro %}

{#- Post-hook: the model's rows matching `slice_condition` as this run left them; after a full
    build, an empty copy with the model's columns. -#}
{% macro record_rows_after(slice_condition) -%}
    {{ replace_table_as(rows_after(this)) }}
    {{ rows_where(this, slice_condition if is_incremental() else '1 = 0') }}
{%- endmacro %}

{#-
  `select *` of the rows of the table `relation` where `condition` holds. On DuckDB, when the
  slice is small (`small`; by default in an incremental run), the condition is first evaluated
  on the columns it names only, and the matching rows are then fetched whole by rowid: DuckDB
  decodes the other columns only in the vectors that hold one of them. At 300 days this took
  0.33 → 0.19 s for fct_orders' copy of its 85 k touched-buyer rows (of 3 M) and 0.30 → 0.13 s
  for int_orders_latest's copy of its 25 k touched orders; it gains nothing where the slice has
  a row in nearly every vector of 2,048 rows. A full build reads the table once, as written.
-#}
{% macro rows_where(relation, condition, small=none) -%}
    {%- set small = is_incremental() if small is none else small -%}
    {{ return(adapter.dispatch('rows_where', 'live_commerce_warehouse')(
        relation, condition, small
    )) }}
{%- endmacro %}

{% macro default__rows_where(relation, condition, small) -%}
    select * from {{ relation }} where {{ condition }}
{%- endmacro %}

{% macro duckdb__rows_where(relation, condition, small) -%}
    {%- if small -%}
    select * from {{ relation }}
    where rowid in (select rowid from {{ relation }} where {{ condition }})
    {%- else -%}
    {{ default__rows_where(relation, condition, small) }}
    {%- endif -%}
{%- endmacro %}

{#-
  Written between a CTE's `as` and its body when the CTE is read more than once. DuckDB keeps
  such a CTE whole before any reader starts; in a full build of int_order_positions that is the
  whole order history (at 100 M orders, when it was part of fct_orders and took every column,
  it stopped at the 16 GB spill cap). `not materialized` makes each reader scan the table
  itself, for the columns it needs. An incremental run's CTE is a few buyers' rows: kept once,
  not fetched again by rowid per reader.
  Spark inlines a deterministic CTE by itself (its InlineCTE rule), so elsewhere this is empty.
-#}
{% macro inlined_in_full_build() -%}
    {{ return(adapter.dispatch('inlined_in_full_build', 'live_commerce_warehouse')()) }}
{%- endmacro %}

{% macro default__inlined_in_full_build() -%}{%- endmacro %}

{% macro duckdb__inlined_in_full_build() -%}
    {%- if not is_incremental() %}not materialized{% endif -%}
{%- endmacro %}

{#- Post-hook: after a full build, an empty copy with the model's columns. -#}
{% macro empty_rows_before() -%}
    {%- if not is_incremental() -%}
    {{ replace_table_as(rows_before(this)) }}
    select * from {{ this }} where 1 = 0
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{#-
  The rows of `relation` that this run added, removed or changed: its slice before the run
  (rows_before) against the same slice now, compared on every column, or on `columns` only (a
  select list). The slice now is the rows whose `key` is in `touched` (default: the relation's
  own <model>__touched table; a run's few keys, fetched by rowid), or, for a model that records
  it (`after`), its rows_after.
-#}
{% macro changed_rows(relation, key, touched=none, columns='*', after=false) -%}
    {%- set touched = touched if touched is not none else touched_keys_of(relation) -%}
    {%- set slice -%}
        {%- if after %}
        select {{ columns }} from {{ rows_after(relation) }}
        {%- else %}
        select {{ columns }}
        from ({{ rows_where(
            relation, key ~ ' in (select ' ~ key ~ ' from ' ~ touched ~ ')', small=true
        ) }}) as slice
        {%- endif %}
    {%- endset -%}
    (
        select {{ columns }} from {{ rows_before(relation) }}
        except
        {{ slice }}
    )
    union all
    (
        {{ slice }}
        except
        select {{ columns }} from {{ rows_before(relation) }}
    )
{%- endmacro %}

{#- `condition` in an incremental run, `true` (everything) otherwise. -#}
{% macro when_incremental(condition) -%}
    {{ condition if is_incremental() else 'true' }}
{%- endmacro %}

{#- In an incremental run, `column` is one of the days in int_changed_order_days. -#}
{% macro of_changed_days(column) -%}
    {{ when_incremental(column ~ ' in (select day from ' ~ ref('int_changed_order_days') ~ ')') }}
{%- endmacro %}

{#-
  `month_start` of each row of `relation` shifted by each of `offsets` months: e.g. the months
  whose prior-month (+1) or prior-year (+12) figures are a changed month's.
-#}
{% macro months_shifted(relation, offsets) -%}
    {%- for offset in offsets %}
    select cast({{ dbt.dateadd('month', offset, 'month_start') }} as date) as month_start
    from {{ relation }}
    {%- if not loop.last %}
    union{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- In an incremental run, `column` is one of the months listed by the query `months`. -#}
{% macro in_months(column, months) -%}
    {{ when_incremental(column ~ ' in (' ~ months ~ ')') }}
{%- endmacro %}

{#- The counted orders of `orders` (fct_orders' rows, or a version of them) with their paid
    month as `month_start`; in an incremental run only those paid in the months `months` lists. -#}
{% macro orders_paid_in_months(orders, months) -%}
    select *
    from (
        select
            orders.*,
            {{ period_start('month', 'orders.paid_date') }} as month_start
        from {{ orders }} as orders
    ) as orders
    where {{ in_months('month_start', months) }}
{%- endmacro %}

{#- Pre-hook: delete the rows matching `condition` (incremental runs only). -#}
{% macro delete_where(condition) -%}
    {%- if is_incremental() -%}
    delete from {{ this }} where {{ condition }}
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{#- In an incremental run, `column` is one of the sessions in int_changed_sessions. -#}
{% macro of_changed_sessions(column='session_id') -%}
    {{ when_incremental(
        column ~ ' in (select session_id from ' ~ ref('int_changed_sessions') ~ ')'
    ) }}
{%- endmacro %}

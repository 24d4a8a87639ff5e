{#-
  What a data test reads: dbt's own `where` config (as dbt's get_where_subquery), and, in an
  incremental run, for a uniqueness test of a model that declares which rows a run writes
  (config meta `rows_a_run_writes`), only the rows whose key a written row has. Every key a
  written row shares with another row is still found, over the whole table; the keys no run
  touched were checked when they were written. Checking every key took 7 s of a 10 M-order daily
  run and grew with the history. A full build (first run, --full-refresh, no window) and every
  other test check the whole table.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- if config.get('where') -%}
        {%- do conditions.append(config.get('where')) -%}
    {%- endif -%}
    {%- set written_keys = keys_a_run_wrote(relation) -%}
    {%- if written_keys -%}
        {%- do conditions.append(written_keys) -%}
    {%- endif -%}
    {%- if not conditions -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set filtered -%}
        (select * from {{ relation }} as tested where {{ conditions | join(' and ') }}) dbt_subquery
    {%- endset -%}
    {{ return(filtered) }}
{%- endmacro %}

{#-
  For a uniqueness test in an incremental run: the tested rows (alias `tested`) whose key a row
  the run wrote has; none otherwise.
-#}
{% macro keys_a_run_wrote(relation) -%}
    {%- set test = model.get('test_metadata') or {} -%}
    {%- set kwargs = test.get('kwargs') or {} -%}
    {%- if test.get('name') == 'unique' -%}
        {%- set keys = [kwargs.get('column_name')] -%}
    {%- elif test.get('name') == 'lcw_unique_combination_of_columns' -%}
        {%- set keys = kwargs.get('combination_of_columns') -%}
    {%- else -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set tested_node = graph.nodes.get(model.get('attached_node')) if execute else none -%}
    {%- set kind = tested_node.config.meta.get('rows_a_run_writes') if tested_node else none -%}
    {%- set written = rows_a_run_wrote(kind, relation) -%}
    {%- if not written -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set condition -%}
        exists (
            select 1 from {{ written }} as written
            where
            {%- for key in keys %}
                {% if not loop.first %}and {% endif -%}
                written.{{ key }} is not distinct from tested.{{ key }}
            {%- endfor %}
        )
    {%- endset -%}
    {{ return(condition) }}
{%- endmacro %}

{#-
  The rows of `relation` an incremental run wrote, or a table holding at least their keys, by
  the `kind` its model declares:
  - `touched_buyers` (the buyer-keyed models): their rows of the buyers in int_touched_buyers;
  - `touched_orders`: the orders in <model>__touched (order_id only);
  - `rows_after`: the rows its post-hook keeps in <model>__after (record_rows_after), so the
    test reads the large table once instead of twice.
  None outside an incremental run.
-#}
{% macro rows_a_run_wrote(kind, relation) -%}
    {%- set window = given_export_window() -%}
    {%- if not (kind and window) or flags.FULL_REFRESH -%}
        {{ return(none) }}
    {%- elif kind == 'touched_buyers' -%}
        {%- set touched = api.Relation.create(
            database=relation.database,
            schema=generate_schema_name('intermediate', none),
            identifier='int_touched_buyers',
        ) -%}
        {{ return(
            '(select * from ' ~ relation ~ ' where buyer_id in (select buyer_id from '
            ~ touched ~ '))'
        ) }}
    {%- elif kind == 'touched_orders' -%}
        {{ return(bookkeeping_relation(relation, '__touched')) }}
    {%- elif kind == 'rows_after' -%}
        {{ return(rows_after(relation)) }}
    {%- endif -%}
    {{ exceptions.raise_compiler_error("rows_a_run_writes: unknown kind '" ~ kind ~ "'") }}
{%- endmacro %}

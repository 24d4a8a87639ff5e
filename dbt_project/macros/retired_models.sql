{#-
  Models this project has removed. dbt does not drop the relation of a model it no longer has, so
  a warehouse built before the removal keeps the table: nothing reads it, but it holds the space
  of the history it copied (an order-grain table as large as fct_orders). Every dbt invocation
  drops them first (on-run-start), if they are there; list a model here in the change that
  removes it.
-#}
{% macro retired_models() -%}
    {{ return([
        ('intermediate', 'int_touched_scope_months'),
        ('intermediate', 'int_order_sequences'),
        ('intermediate', 'int_orders_attributed'),
    ]) }}
{%- endmacro %}

{% macro drop_retired_models() -%}
    {%- if execute -%}
        {%- for schema, identifier in retired_models() -%}
            {%- set relation = adapter.get_relation(
                database=target.database,
                schema=generate_schema_name(schema, none),
                identifier=identifier,
            ) -%}
            {%- if relation is not none -%}
                {%- do log('Dropping ' ~ relation ~ ': a model this project no longer has', info=true) -%}
                {%- do adapter.drop_relation(relation) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

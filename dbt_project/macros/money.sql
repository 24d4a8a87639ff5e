{#-
  Money stays decimal end to end (METRICS.md): every money column and every sum of money is
  decimal(18, 2), written once here. Amounts have at most two decimal places, so the cast never
  rounds; it only fixes the type (a sum of decimal(18, 2) is decimal(38, 2) in DuckDB).
-#}
{% macro money(expression) -%}
    cast({{ expression }} as {{ money_type() }})
{%- endmacro %}

{% macro money_type() -%}
    decimal(18, 2)
{%- endmacro %}

{#- First day of the period (month, quarter, year) containing a date, as a date. -#}
{% macro period_start(period, date_column) -%}
    cast({{ dbt.date_trunc(period, date_column) }} as date)
{%- endmacro %}

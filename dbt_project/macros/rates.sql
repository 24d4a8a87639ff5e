{#-
  Every published rate is numerator / denominator, NULL when the denominator is zero, so that a
  rate is never averaged: BI re-aggregates by summing the numerator and denominator columns.
-#}
{% macro safe_rate(numerator, denominator) -%}
    case
        when {{ denominator }} > 0
            then cast({{ numerator }} as double) / {{ denominator }}
    end
{%- endmacro %}

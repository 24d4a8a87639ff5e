{#-
  The reporting day of a timestamp with time zone: its calendar date in the reporting time zone
  (Asia/Shanghai), whatever the server's or session's time zone is. Dispatched so the same
  models can run on Spark later.
-#}
{% macro reporting_date(timestamp_column) -%}
    {{ return(adapter.dispatch('reporting_date', 'live_commerce_warehouse')(timestamp_column)) }}
{%- endmacro %}

{% macro default__reporting_date(timestamp_column) -%}
    cast(({{ timestamp_column }} at time zone '{{ var("reporting_time_zone") }}') as date)
{%- endmacro %}

{% macro spark__reporting_date(timestamp_column) -%}
    to_date(from_utc_timestamp({{ timestamp_column }}, '{{ var("reporting_time_zone") }}'))
{%- endmacro %}

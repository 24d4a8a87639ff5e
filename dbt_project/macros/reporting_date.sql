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

{#-
  Spark's `timestamp` is an instant rendered in the session time zone. Its wall-clock time in
  the session zone (`timestamp_ntz`), converted from that zone to the reporting zone, gives the
  reporting day whatever the session zone is (from_utc_timestamp alone is right only in UTC).
-#}
{% macro spark__reporting_date(timestamp_column) -%}
    to_date(convert_timezone(
        current_timezone(),
        '{{ var("reporting_time_zone") }}',
        cast({{ timestamp_column }} as timestamp_ntz)
    ))
{%- endmacro %}

{#-
  `dbt.dateadd` on Spark, in one interval addition. dbt-spark's own `spark__dateadd` rebuilds the
  timestamp from `date_add` on its date plus the seconds since midnight, and wraps each use of the
  argument in a not-null assertion: the argument appears five times. Nested (`dateadd` of
  `last_day`, which is itself two `dateadd`s of a `date_trunc`), the expression grows five-fold per
  level, and Spark's planner took 20 to 40 s over cohort_retention alone (a few hundred rows).

  Here the argument appears once. The result is the same type (`timestamp`) and the same instant:
  days, weeks, months and years are added to the clock time in the session zone (Asia/Shanghai,
  profiles.yml), as dbt-spark's `date_add`/`add_months` do and as DuckDB's `timestamptz + interval`
  does in the DuckDB target's TimeZone; a month added to the 31st ends on the month's last day in
  all three. Unlike dbt-spark's it keeps fractions of a second, as DuckDB does.
-#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    {%- set units = {
        'year': ('months', 12), 'quarter': ('months', 3), 'month': ('months', 1),
        'week': ('days', 7), 'day': ('days', 1),
        'hour': ('seconds', 3600), 'minute': ('seconds', 60), 'second': ('seconds', 1),
    } -%}
    {%- if datepart not in units -%}
        {{ exceptions.raise_compiler_error("dateadd on Spark: datepart '" ~ datepart ~ "' is not supported") }}
    {%- endif -%}
    {%- set field, multiplier = units[datepart] -%}
    {%- set count = 'cast((' ~ interval ~ ') * ' ~ multiplier ~ ' as int)' -%}
    {#- make_interval(years, months, weeks, days, hours, mins, secs) -#}
    {%- set arguments = {
        'months': ['0', count, '0', '0', '0', '0', '0'],
        'days': ['0', '0', '0', count, '0', '0', '0'],
        'seconds': ['0', '0', '0', '0', '0', '0', count],
    }[field] -%}
    {%- set added = 'make_interval(' ~ arguments | join(', ') ~ ')' -%}
    (cast({{ from_date_or_timestamp }} as timestamp) + {{ added }})
{%- endmacro %}

-- The MetricFlow time spine (dbt `time_spine:` config in _time_spine.yml): one row per calendar
-- day from 2019-01-01 to 2030-12-31. Built with dbt's cross-database date_spine macro, so it is
-- not tied to DuckDB. MetricFlow joins it for time-spine-dependent queries (cumulative, offset,
-- filled metrics) and requires it to exist in the semantic manifest.
{{ config(
    materialized='table',
    schema='marts',
    persist_docs={'relation': true, 'columns': true},
) }}

select cast(date_day as date) as date_day
from (
    {{ dbt.date_spine(
        datepart='day',
        start_date="cast('2019-01-01' as date)",
        end_date="cast('2031-01-01' as date)"
    ) }}
) as spine

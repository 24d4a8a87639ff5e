-- How much of each reporting period the loaded data covers, so that a partial period is never
-- read as a whole one ("Repeat-purchase rate (2020)" over May-July only). One row per period
-- that has counted orders (the periods of repurchase_rate), with the days of the period that
-- fall between the first and the last reporting day loaded (gmv_daily).
with loaded as (
    select min(day) as first_day, max(day) as last_day
    from {{ ref('gmv_daily') }}
),

periods as (
    select distinct period_grain, period_start
    from {{ ref('repurchase_rate') }}
    where scope = 'platform'
),

bounded as (
    select
        periods.period_grain,
        periods.period_start,
        cast(case periods.period_grain
            when 'month' then {{ dbt.dateadd('month', 1, 'periods.period_start') }}
            when 'quarter' then {{ dbt.dateadd('month', 3, 'periods.period_start') }}
            else {{ dbt.dateadd('year', 1, 'periods.period_start') }}
        end as date) as next_period_start,
        loaded.first_day,
        loaded.last_day
    from periods
    cross join loaded
),

covered as (
    select
        period_grain,
        period_start,
        cast({{ dbt.dateadd('day', -1, 'next_period_start') }} as date) as period_end,
        greatest(period_start, first_day) as covered_from,
        least(cast({{ dbt.dateadd('day', -1, 'next_period_start') }} as date), last_day)
            as covered_to
    from bounded
)

select
    period_grain,
    period_start,
    period_end,
    cast({{ dbt.datediff('period_start', 'period_end', 'day') }} + 1 as integer) as period_days,
    covered_from,
    covered_to,
    cast({{ dbt.datediff('covered_from', 'covered_to', 'day') }} + 1 as integer) as covered_days,
    covered_from > period_start or covered_to < period_end as is_partial
from covered

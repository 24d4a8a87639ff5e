-- Shopping-festival GMV (calendar in seeds/reference/shopping_festivals.csv) against a baseline
-- (the average daily GMV of the 30 days before the festival starts) and against the same
-- festival a year before. Festivals with no reporting day in the data have no row.
with festivals as (
    select * from {{ ref('shopping_festivals') }}
),

festival_days as (
    select
        festivals.festival_id,
        sum(days.gmv) as gmv,
        sum(days.orders) as orders
    from festivals
    inner join {{ ref('gmv_daily') }} as days
        on days.day between festivals.start_date and festivals.end_date
    group by festivals.festival_id
),

baseline_days as (
    select
        festivals.festival_id,
        count(*) as baseline_days,
        sum(days.gmv) as baseline_gmv
    from festivals
    inner join {{ ref('gmv_daily') }} as days
        on days.day >= {{ dbt.dateadd('day', -30, 'festivals.start_date') }}
        and days.day < festivals.start_date
    group by festivals.festival_id
),

measured as (
    select
        festivals.festival_id,
        festivals.festival_name,
        festivals.name_zh,
        festivals.start_date,
        festivals.end_date,
        cast(
            {{ dbt.datediff('festivals.start_date', 'festivals.end_date', 'day') }} + 1
            as {{ dbt.type_bigint() }}
        ) as festival_days,
        {{ money('festival_days.gmv') }} as gmv,
        cast(festival_days.orders as {{ dbt.type_bigint() }}) as orders,
        coalesce(baseline_days.baseline_days, 0) as baseline_days,
        {{ money('coalesce(baseline_days.baseline_gmv, 0)') }} as baseline_gmv
    from festivals
    inner join festival_days on festivals.festival_id = festival_days.festival_id
    left join baseline_days on festivals.festival_id = baseline_days.festival_id
)

select
    measured.*,
    cast(measured.gmv as double) / measured.festival_days as festival_daily_gmv,
    case
        when measured.baseline_days > 0
            then cast(measured.baseline_gmv as double) / measured.baseline_days
    end as baseline_daily_gmv,
    case
        when measured.baseline_days > 0 and measured.baseline_gmv > 0
            then (cast(measured.gmv as double) / measured.festival_days)
                / (cast(measured.baseline_gmv as double) / measured.baseline_days)
    end as uplift,
    prior_year.gmv as prior_year_gmv,
    case
        when prior_year.gmv > 0 then cast(measured.gmv as double) / prior_year.gmv - 1
    end as yoy_growth
from measured
left join measured as prior_year
    on measured.festival_name = prior_year.festival_name
    and {{ dbt.date_trunc('year', 'prior_year.start_date') }}
    = {{ dbt.dateadd('year', -1, dbt.date_trunc('year', 'measured.start_date')) }}

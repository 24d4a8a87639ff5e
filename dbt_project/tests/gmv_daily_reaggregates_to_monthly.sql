-- Re-aggregated daily figures equal the monthly marts: GMV summed over gmv_daily's days of a
-- month equals the platform GMV of that month in gmv_monthly_by_dimension,
-- private_domain_share_monthly and enforcement_commerce_monthly. Returns the months that differ.
with days as (
    select
        {{ period_start('month', 'day') }} as month_start,
        gmv,
        private_gmv,
        orders
    from {{ ref('gmv_daily') }}
),

daily as (
    select
        month_start,
        sum(gmv) as gmv,
        sum(private_gmv) as private_gmv,
        sum(orders) as orders
    from days
    group by month_start
    having sum(orders) > 0
),

by_dimension as (
    select month_start, gmv, orders
    from {{ ref('gmv_monthly_by_dimension') }}
    where dimension = 'platform'
),

private_domain as (
    select month_start, gmv, private_gmv, orders
    from {{ ref('private_domain_share_monthly') }}
    where scope = 'platform'
),

beside_enforcement as (
    select month_start, gmv
    from {{ ref('enforcement_commerce_monthly') }}
)

select daily.month_start
from daily
full outer join by_dimension on daily.month_start = by_dimension.month_start
full outer join private_domain on daily.month_start = private_domain.month_start
full outer join beside_enforcement on daily.month_start = beside_enforcement.month_start
where daily.gmv is distinct from by_dimension.gmv
    or daily.gmv is distinct from private_domain.gmv
    or daily.gmv is distinct from beside_enforcement.gmv
    or daily.private_gmv is distinct from private_domain.private_gmv
    or daily.orders is distinct from by_dimension.orders
    or daily.orders is distinct from private_domain.orders

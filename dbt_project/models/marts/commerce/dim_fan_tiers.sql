-- The fan tiers as a small dimension, so that BI can sort tier labels in their natural order
-- (join fan_tier_monthly.fan_tier or dim_streamers.fan_tier here and sort by fan_tier_order).
-- 'unknown' (a month without a follower snapshot) sorts after every real tier.
select
    fan_tier,
    tier_order as fan_tier_order,
    min_followers,
    max_followers_exclusive
from {{ ref('fan_tiers') }}

union all

select
    'unknown' as fan_tier,
    (select max(tier_order) + 1 from {{ ref('fan_tiers') }}) as fan_tier_order,
    cast(null as {{ dbt.type_bigint() }}) as min_followers,
    cast(null as {{ dbt.type_bigint() }}) as max_followers_exclusive

-- The dimensions' lifetime figures add up to the facts: shops' GMV and orders to every counted
-- order (gmv_daily), streamers' GMV and orders to the streamer-sold orders (fct_orders). Returns
-- a row for each identity that does not hold.
with figures as (
    select
        (select coalesce(sum(gmv), 0) from {{ ref('dim_shops') }}) as shops_gmv,
        (select coalesce(sum(orders), 0) from {{ ref('dim_shops') }}) as shops_orders,
        (select coalesce(sum(gmv), 0) from {{ ref('gmv_daily') }}) as platform_gmv,
        (select coalesce(sum(orders), 0) from {{ ref('gmv_daily') }}) as platform_orders,
        (select coalesce(sum(gmv), 0) from {{ ref('dim_streamers') }}) as streamers_gmv,
        (select coalesce(sum(orders), 0) from {{ ref('dim_streamers') }}) as streamers_orders,
        (select coalesce(sum(gmv), 0) from {{ ref('fct_orders') }} where streamer_id is not null)
            as streamer_sold_gmv,
        (select count(*) from {{ ref('fct_orders') }} where streamer_id is not null)
            as streamer_sold_orders
)

select 'shops' as dimension, shops_gmv as gmv, platform_gmv as expected_gmv
from figures
where shops_gmv != platform_gmv or shops_orders != platform_orders

union all

select 'streamers' as dimension, streamers_gmv as gmv, streamer_sold_gmv as expected_gmv
from figures
where streamers_gmv != streamer_sold_gmv or streamers_orders != streamer_sold_orders

-- Each streamer as of their latest snapshot (by export date): shop, category, follower count,
-- and the fan tier that follower count falls in today (fan_tiers seed, upper bound exclusive).
with ranked as (
    select
        streamer_id,
        shop_id,
        category,
        follower_count,
        created_at,
        exported_on,
        row_number() over (partition by streamer_id order by exported_on desc) as recency
    from {{ ref('stg_platform__streamers') }}
)

select
    ranked.streamer_id,
    ranked.shop_id,
    ranked.category,
    ranked.follower_count,
    ranked.created_at,
    ranked.exported_on,
    tiers.fan_tier,
    tiers.tier_order
from ranked
inner join {{ ref('fan_tiers') }} as tiers
    on ranked.follower_count >= tiers.min_followers
    and (
        tiers.max_followers_exclusive is null
        or ranked.follower_count < tiers.max_followers_exclusive
    )
where ranked.recency = 1

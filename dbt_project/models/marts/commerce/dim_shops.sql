-- One row per shop: the trust-card rights it holds now (an interval still open at the latest
-- data), the enforcement actions and penalties aimed at it, and its lifetime counted orders.
-- Every shop that appears in a counted order, a streamer snapshot, a trust-card event or an
-- enforcement action against a shop has a row.
with shops as (
    select entity_id as shop_id from {{ ref('int_lifetime_orders_monthly') }}
    where entity = 'shop'
    union
    select shop_id from {{ ref('int_streamers_latest') }}
    where shop_id is not null
    union
    select shop_id from {{ ref('dim_shop_trust_rights') }}
    union
    select target_id from {{ ref('fct_enforcement_actions') }}
    where target_type = 'shop'
),

streamers as (
    select shop_id, count(*) as streamers
    from {{ ref('int_streamers_latest') }}
    group by shop_id
),

rights_now as (
    select
        shop_id,
        count(*) as trust_rights_held_count,
        {{ dbt.listagg('trust_right', "', '", 'order by trust_right') }} as trust_rights_held
    from {{ ref('dim_shop_trust_rights') }}
    where disabled_at is null
    group by shop_id
),

rights_ever as (
    select shop_id, min(enabled_date) as first_trust_right_date
    from {{ ref('dim_shop_trust_rights') }}
    group by shop_id
),

enforcement as (
    select
        target_id as shop_id,
        count(*) as enforcement_actions,
        count(case when action_type = 'penalty' then 1 end) as penalties,
        max(case when action_type = 'penalty' then action_date end) as last_penalty_date
    from {{ ref('fct_enforcement_actions') }}
    where target_type = 'shop'
    group by target_id
),

orders as (
    {{ lifetime_orders('shop') }}
)

select
    shops.shop_id,
    cast(coalesce(streamers.streamers, 0) as {{ dbt.type_bigint() }}) as streamers,
    rights_now.trust_rights_held,
    cast(coalesce(rights_now.trust_rights_held_count, 0) as {{ dbt.type_bigint() }})
        as trust_rights_held_count,
    rights_ever.first_trust_right_date,
    cast(coalesce(enforcement.enforcement_actions, 0) as {{ dbt.type_bigint() }})
        as enforcement_actions,
    cast(coalesce(enforcement.penalties, 0) as {{ dbt.type_bigint() }}) as penalties,
    enforcement.last_penalty_date,
    {{ lifetime_order_columns('orders') }}
from shops
left join streamers on shops.shop_id = streamers.shop_id
left join rights_now on shops.shop_id = rights_now.shop_id
left join rights_ever on shops.shop_id = rights_ever.shop_id
left join enforcement on shops.shop_id = enforcement.shop_id
left join orders on shops.shop_id = orders.shop_id

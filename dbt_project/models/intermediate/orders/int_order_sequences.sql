-- Each counted order's position in its buyer's counted orders within each scope, ordered by
-- paid_at with ties broken by order_id. A repurchase order is a 2nd or later order in a scope.
-- Orders without a streamer have no streamer-scope position. Positions are bigint on every
-- engine (row_number() is bigint in DuckDB, int in Spark).
--
-- Incremental, by buyer: a run renumbers every counted order of the buyers in
-- int_touched_buyers (a late first order shifts all of the buyer's later positions).
{{ config(**keyed_state(
    'order_id', pre_hook=["{{ delete_touched_buyers() }}"], deleted_first=true
)) }}
-- depends_on: {{ ref('int_touched_buyers') }}

select
    order_id,
    buyer_id,
    cast(row_number() over (
        partition by buyer_id order by paid_at, order_id
    ) as {{ dbt.type_bigint() }}) as platform_order_seq,
    cast(row_number() over (
        partition by buyer_id, shop_id order by paid_at, order_id
    ) as {{ dbt.type_bigint() }}) as shop_order_seq,
    case
        when streamer_id is not null
            then cast(row_number() over (
                    partition by buyer_id, streamer_id order by paid_at, order_id
                ) as {{ dbt.type_bigint() }})
    end as streamer_order_seq
from {{ ref('int_orders_latest') }}
where is_counted and {{ of_touched_buyers() }}

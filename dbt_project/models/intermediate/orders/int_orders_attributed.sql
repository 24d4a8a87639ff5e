-- Counted (paid) orders with their traffic domain, decided point in time: an order is
-- private-domain when, at the moment it was paid, the buyer followed the streamer who sold it
-- (followed_from <= paid_at < followed_until). A follow after payment, or one undone before it,
-- does not count; orders without a streamer are public-domain.
--
-- Incremental, by buyer: a run recomputes the orders of the buyers in int_touched_buyers.
{{ config(**keyed_state(
    'order_id', pre_hook=["{{ delete_touched_buyers() }}"], deleted_first=true
)) }}
-- depends_on: {{ ref('int_touched_buyers') }}

with counted_orders as (
    select * from {{ ref('int_orders_latest') }}
    where is_counted and {{ of_touched_buyers() }}
),

follow_at_payment as (
    select distinct counted_orders.order_id
    from counted_orders
    inner join {{ ref('int_follow_intervals') }} as follows
        on counted_orders.buyer_id = follows.follower_id
        and counted_orders.streamer_id = follows.streamer_id
        and follows.followed_from <= counted_orders.paid_at
        and (follows.followed_until is null or counted_orders.paid_at < follows.followed_until)
)

select
    counted_orders.*,
    case
        when follow_at_payment.order_id is not null then 'private' else 'public'
    end as traffic_domain
from counted_orders
left join follow_at_payment
    on counted_orders.order_id = follow_at_payment.order_id

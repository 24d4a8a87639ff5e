-- Daily GMV on the reporting day (Asia/Shanghai). Paid figures count each order on the day it was
-- paid, in its latest version (a later refund restates that day); placed figures (拍下) count every
-- order created that day, paid or not, and are reported beside GMV, never instead of it;
-- refunds_recorded shows refunds on the day they were recorded.
--
-- Incremental, by day: a run recomputes the days in int_changed_order_days.
{{ config(**keyed_state('day', recompute_in='int_changed_order_days')) }}

with paid as (
    select
        paid_date as day,
        count(*) as orders,
        count(distinct buyer_id) as buyers,
        sum(gmv) as gmv,
        sum(refund_amount) as refund_amount,
        sum(net_gmv) as net_gmv,
        sum(case when traffic_domain = 'private' then gmv else 0 end) as private_gmv,
        sum(case when traffic_domain = 'public' then gmv else 0 end) as public_gmv
    from {{ ref('fct_orders') }}
    where {{ of_changed_days('paid_date') }}
    group by paid_date
),

placed as (
    select
        created_date as day,
        count(*) as placed_orders,
        sum(placed_amount) as placed_gmv
    from {{ ref('int_orders_latest') }}
    where {{ of_changed_days('created_date') }}
    group by created_date
),

refunds as (
    select
        recorded_date as day,
        sum(refund_change) as refunds_recorded
    from {{ ref('int_order_refund_events') }}
    where {{ of_changed_days('recorded_date') }}
    group by recorded_date
),

days as (
    select day from paid
    union
    select day from placed
    union
    select day from refunds
)

select
    days.day,
    coalesce(paid.orders, 0) as orders,
    coalesce(paid.buyers, 0) as buyers,
    {{ money('coalesce(paid.gmv, 0)') }} as gmv,
    {{ money('coalesce(paid.refund_amount, 0)') }} as refund_amount,
    {{ money('coalesce(paid.net_gmv, 0)') }} as net_gmv,
    {{ money('coalesce(paid.private_gmv, 0)') }} as private_gmv,
    {{ money('coalesce(paid.public_gmv, 0)') }} as public_gmv,
    coalesce(placed.placed_orders, 0) as placed_orders,
    {{ money('coalesce(placed.placed_gmv, 0)') }} as placed_gmv,
    {{ money('coalesce(refunds.refunds_recorded, 0)') }} as refunds_recorded
from days
left join paid on days.day = paid.day
left join placed on days.day = placed.day
left join refunds on days.day = refunds.day

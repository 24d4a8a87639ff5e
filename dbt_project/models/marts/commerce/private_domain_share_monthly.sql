-- private_domain_share and repurchase_private_share (METRICS.md) per month and scope. Private
-- domain is decided point in time in fct_orders; a repurchase order is a 2nd or later
-- counted order of the buyer within the scope.
--
-- Incremental: every figure is a sum over orders, so a run adds the touched buyers' change to
-- the figures of their groups (macro buyer_counts); groups left without orders are deleted.
{{ config(**keyed_state(
    ['month_start', 'scope', 'scope_id'],
    post_hook=["{{ delete_where('orders = 0') }}"],
)) }}
-- depends_on: {{ ref('int_touched_buyers') }}

{%- set order_figures -%}
    select
        orders.month_start,
        orders.scope,
        orders.scope_id,
        1 as orders,
        case when orders.traffic_domain = 'private' then 1 else 0 end as private_orders,
        case when orders.is_repurchase then 1 else 0 end as repurchase_orders,
        case
            when orders.is_repurchase and orders.traffic_domain = 'private' then 1 else 0
        end as private_repurchase_orders,
        orders.gmv,
        case when orders.traffic_domain = 'private' then orders.gmv else 0 end as private_gmv
    from __ORDERS__ as orders
{%- endset %}

with figures as (
    {{ buyer_counts(
        order_figures,
        ['month_start', 'scope', 'scope_id'],
        ['orders', 'private_orders', 'repurchase_orders', 'private_repurchase_orders'],
        money_sums=['gmv', 'private_gmv'],
    ) }}
)

select
    month_start,
    scope,
    scope_id,
    gmv,
    private_gmv,
    {{ safe_rate('private_gmv', 'gmv') }} as private_domain_share,
    orders,
    private_orders,
    {{ safe_rate('private_orders', 'orders') }} as private_order_share,
    repurchase_orders,
    private_repurchase_orders,
    {{ safe_rate('private_repurchase_orders', 'repurchase_orders') }}
        as repurchase_private_share
from figures

-- For each trust-card enablement: the shop's repeat-purchase rate (buyers with >= 2 counted
-- orders in the shop in the window / buyers with >= 1) in the 90 days before and after the
-- enablement instant, beside the same windows pooled over shops that never held that right
-- (the control), and the difference in differences.
{%- set window_days = 90 %}
with enablements as (
    select shop_id, trust_right, enabled_at
    from {{ ref('int_trust_card_intervals') }}
),

shop_orders as (
    select shop_id, buyer_id, paid_at
    from {{ ref('int_orders_attributed') }}
),

holders as (
    select distinct shop_id, trust_right from enablements
),

windows as (
    select
        shop_id,
        trust_right,
        enabled_at,
        'before' as side,
        {{ dbt.dateadd('day', -window_days, 'enabled_at') }} as window_start,
        enabled_at as window_end
    from enablements
    union all
    select
        shop_id,
        trust_right,
        enabled_at,
        'after' as side,
        enabled_at as window_start,
        {{ dbt.dateadd('day', window_days, 'enabled_at') }} as window_end
    from enablements
),

-- Buyers per window: the treated shop, and every control shop for that right.
window_buyers as (
    select
        windows.shop_id,
        windows.trust_right,
        windows.enabled_at,
        windows.side,
        case when shop_orders.shop_id = windows.shop_id then 'treated' else 'control' end
            as arm,
        shop_orders.shop_id as order_shop_id,
        shop_orders.buyer_id,
        count(*) as orders
    from windows
    inner join shop_orders
        on shop_orders.paid_at >= windows.window_start
        and shop_orders.paid_at < windows.window_end
    left join holders
        on holders.shop_id = shop_orders.shop_id
        and holders.trust_right = windows.trust_right
    where shop_orders.shop_id = windows.shop_id or holders.shop_id is null
    group by 1, 2, 3, 4, 5, 6, 7
),

rates as (
    select
        shop_id,
        trust_right,
        enabled_at,
        {%- for arm in ['treated', 'control'] %}
        {%- for side in ['before', 'after'] %}
        {%- set prefix = ('' if arm == 'treated' else 'control_') ~ side %}
        count(case when arm = '{{ arm }}' and side = '{{ side }}' then 1 end)
            as {{ prefix }}_buyers,
        count(case when arm = '{{ arm }}' and side = '{{ side }}' and orders >= 2 then 1 end)
            as {{ prefix }}_repeat_buyers{{ "," if not (loop.last and arm == 'control') }}
        {%- endfor %}
        {%- endfor %}
    from window_buyers
    group by shop_id, trust_right, enabled_at
),

data_end as (
    select max(paid_at) as last_paid_at from shop_orders
),

measured as (
    select
        enablements.shop_id,
        enablements.trust_right,
        enablements.enabled_at,
        {%- for prefix in ['before', 'after', 'control_before', 'control_after'] %}
        coalesce(rates.{{ prefix }}_buyers, 0) as {{ prefix }}_buyers,
        coalesce(rates.{{ prefix }}_repeat_buyers, 0) as {{ prefix }}_repeat_buyers,
        {{ safe_rate('rates.' ~ prefix ~ '_repeat_buyers', 'rates.' ~ prefix ~ '_buyers') }}
            as {{ prefix }}_rate,
        {%- endfor %}
        {{ dbt.dateadd('day', window_days, 'enablements.enabled_at') }}
            <= data_end.last_paid_at as after_window_complete
    from enablements
    left join rates
        on enablements.shop_id = rates.shop_id
        and enablements.trust_right = rates.trust_right
        and enablements.enabled_at = rates.enabled_at
    cross join data_end
)

select
    *,
    (after_rate - before_rate) - (control_after_rate - control_before_rate) as diff_in_diff
from measured

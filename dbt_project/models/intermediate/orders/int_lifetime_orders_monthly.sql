-- The monthly pieces of dim_shops' and dim_streamers' lifetime order figures: per shop and per
-- streamer and paid month, the counted orders, the buyers, GMV, net GMV, private-domain GMV and
-- the first and last paid day. Every figure adds up over the months (macro lifetime_orders):
-- a buyer counts in the month of their first order in that shop or streamer scope
-- (shop_order_seq or streamer_order_seq = 1), so the sum over months is the distinct buyers.
--
-- Incremental, by difference: a run changes only the fct_orders rows of its touched buyers, kept
-- as they were (fct_orders__before) and as it left them (fct_orders__after). A month's counts and
-- sums become the stored ones plus the changed rows after the run less before it. Its first and
-- last paid day take the added rows' days into account; only when a row that left the month
-- (removed, moved, paid another day) was paid on the stored first or last day is the month
-- counted again from fct_orders. A month left with no order is deleted (post-hook).
{{ config(**keyed_state(
    ['entity', 'entity_id', 'month_start'],
    post_hook=["{{ delete_where('orders = 0') }}"],
)) }}
{%- set keys = ['entity', 'entity_id', 'month_start'] %}
{%- set columns = 'order_id, shop_id, streamer_id, paid_date, gmv, net_gmv, traffic_domain, '
    ~ 'shop_order_seq, streamer_order_seq' %}
{#- The type a sum of money has had here since the table's first build (DuckDB's sum of
    decimal(18, 2)): a stored table keeps its column types. #}
{%- set money_sum = 'decimal(38, 2)' %}
{%- set fct_orders = ref('fct_orders') %}

-- Counted orders with a sign: every order once (+1) on a full build; in an incremental run the
-- touched buyers' rows that changed, as the run left them (+1) and as they were (-1).
with signed_orders as (
    {%- if is_incremental() %}
        {%- for version, other, sign in [
            (rows_after(fct_orders), rows_before(fct_orders), 1),
            (rows_before(fct_orders), rows_after(fct_orders), -1),
        ] %}
            select {{ sign }} as sign, changed.*
            from (
                select {{ columns }} from {{ version }}
                except
                select {{ columns }} from {{ other }}
            ) as changed
            {%- if not loop.last %}
                union all
            {%- endif %}
        {%- endfor %}
    {%- else %}
        select 1 as sign, {{ columns }} from {{ fct_orders }}
    {%- endif %}
),

-- Each signed order once per entity it belongs to: its shop, and its streamer if it has one.
entity_orders as (
    {{ lifetime_entity_orders('signed_orders') }}
),

-- The signed sums per entity and month, with the first and last day of the added rows.
changes as (
    {{ lifetime_month_figures('entity_orders') }}
)

{%- if is_incremental() %},

-- Per entity and month, the first and last paid day of the rows that left it: removed, moved
-- to another entity or month, or paid another day (a row only changed in other columns comes
-- back, after the run, with the same order and day).
departed as (
    select
        removed.entity,
        removed.entity_id,
        removed.month_start,
        min(removed.paid_date) as first_paid_date,
        max(removed.paid_date) as last_paid_date
    from entity_orders as removed
    where
        removed.sign = -1
        and not exists (
            select 1 from entity_orders as added
            where
                added.sign = 1
                and added.entity = removed.entity
                and added.entity_id = removed.entity_id
                and added.order_id = removed.order_id
                and added.paid_date = removed.paid_date
        )
    group by removed.entity, removed.entity_id, removed.month_start
),

updated as (
    select
        changes.entity,
        changes.entity_id,
        changes.month_start,
        coalesce(stored.orders, 0) + changes.orders as orders,
        coalesce(stored.buyers, 0) + changes.buyers as buyers,
        coalesce(stored.gmv, 0) + changes.gmv as gmv,
        coalesce(stored.net_gmv, 0) + changes.net_gmv as net_gmv,
        coalesce(stored.private_gmv, 0) + changes.private_gmv as private_gmv,
        least(
            coalesce(stored.first_paid_date, changes.first_paid_date),
            coalesce(changes.first_paid_date, stored.first_paid_date)
        ) as first_paid_date,
        greatest(
            coalesce(stored.last_paid_date, changes.last_paid_date),
            coalesce(changes.last_paid_date, stored.last_paid_date)
        ) as last_paid_date,
        coalesce(
            departed.first_paid_date = stored.first_paid_date
            or departed.last_paid_date = stored.last_paid_date,
            false
        ) as is_recounted
    from changes
    left join {{ this }} as stored
        on {% for key in keys -%}
            stored.{{ key }} = changes.{{ key }}{{ " and " if not loop.last }}
        {%- endfor %}
    left join departed
        on {% for key in keys -%}
            departed.{{ key }} = changes.{{ key }}{{ " and " if not loop.last }}
        {%- endfor %}
),

-- The months whose first or last paid day may have moved, counted again from their orders.
recounted_months as (
    select entity, entity_id, month_start from updated
    where is_recounted and orders > 0
),

recounted_orders as (
    select entity_orders.*
    from (
        {{ lifetime_entity_orders(
            '(select 1 as sign, ' ~ columns ~ ' from ' ~ fct_orders ~ ' where '
            ~ period_start('month', 'paid_date')
            ~ ' in (select month_start from recounted_months))'
        ) }}
    ) as entity_orders
    where {{ matches_a_row_of('recounted_months', 'entity_orders', keys) }}
),

recounted as (
    {{ lifetime_month_figures('recounted_orders') }}
)
{%- endif %}

{%- set figures -%}
    cast(orders as {{ dbt.type_bigint() }}) as orders,
    cast(buyers as {{ dbt.type_bigint() }}) as buyers,
    cast(gmv as {{ money_sum }}) as gmv,
    cast(net_gmv as {{ money_sum }}) as net_gmv,
    cast(private_gmv as {{ money_sum }}) as private_gmv,
    first_paid_date,
    last_paid_date
{%- endset %}

{%- if is_incremental() %}
    select entity, entity_id, month_start, {{ figures }}
    from updated
    where not is_recounted or orders = 0
    union all
    select entity, entity_id, month_start, {{ figures }}
    from recounted
{%- else %}
    select entity, entity_id, month_start, {{ figures }}
    from changes
{%- endif %}

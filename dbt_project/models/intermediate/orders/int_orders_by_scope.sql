-- Each counted order once per scope it belongs to (macro orders_by_scope): the base of the
-- repurchase and private-domain marts. A view over fct_orders, so a run writes no second copy
-- of the order history and nothing here grows a daily run's cost.
{{ config(materialized='view') }}

{{ orders_by_scope(ref('fct_orders')) }}

-- One row per order version as loaded, renamed. receiver_phone and receiver_address are personal
-- data and are deliberately not selected: they never leave the raw schema.
--
-- Not deduplicated here, unlike the other staging models, and on purpose: a repeated version
-- (the same version exported twice, within or across files or dates) changes neither the latest
-- version (int_orders_latest keeps one row per order by arg_max) nor any refund change (a repeat
-- changes the cumulative refund by 0), and a view without an aggregate lets the incremental
-- models' filters (export window, touched orders) reach the raw scan, so a daily run reads only
-- the versions it needs. Exact duplicates are for ingestion to drop (a version key).
with renamed as (
    select
        order_id,
        buyer_id,
        shop_id,
        streamer_id,
        session_id,
        product_id,
        category,
        quantity,
        item_amount,
        discount_amount,
        paid_amount,
        coalesce(refund_amount, 0) as refund_amount,
        status,
        entry_point,
        created_at,
        paid_at,
        updated_at,
        {{ lineage_renamed() }}
    from {{ source('platform', 'orders') }}
)

select * from renamed

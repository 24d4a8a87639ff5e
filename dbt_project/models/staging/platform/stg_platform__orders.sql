-- One row per distinct order version per export date. Exact duplicates within one export date
-- (the same version in two files, or twice in one) count once, with the lineage of the latest.
-- The same version exported on two dates stays once per date: that changes neither the latest
-- version nor any refund change, and keeping `exported_on` in the key lets a filter on the
-- export window reach the raw scan (incremental runs read only the window's versions).
-- receiver_phone and receiver_address are personal data and are deliberately not selected:
-- they never leave the raw schema.
{%- set version_columns = [
    'order_id', 'buyer_id', 'shop_id', 'streamer_id', 'session_id', 'product_id', 'category',
    'quantity', 'item_amount', 'discount_amount', 'paid_amount', 'refund_amount', 'status',
    'entry_point', 'created_at', 'paid_at', 'updated_at', 'exported_on',
] %}
with source as (
    select * from {{ source('platform', 'orders') }}
),

renamed as (
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
        _partition_dt as exported_on,
        _source_file as source_file,
        _source_row as source_row
    from source
)

{{ deduplicate('renamed', unique_by=version_columns, latest_by=lineage_columns()) }}

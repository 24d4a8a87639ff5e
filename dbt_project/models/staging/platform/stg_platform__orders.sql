-- One row per distinct order version. Exact duplicates (the same version exported twice, within
-- or across files) count once. receiver_phone and receiver_address are personal data and are
-- deliberately not selected: they never leave the raw schema.
with source as (
    select * from {{ source('platform', 'orders') }}
),

ranked as (
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
        _source_row as source_row,
        row_number() over (
            partition by
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
                refund_amount,
                status,
                entry_point,
                created_at,
                paid_at,
                updated_at
            order by _partition_dt desc, _source_file desc, _source_row desc
        ) as export_rank
    from source
)

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
    refund_amount,
    status,
    entry_point,
    created_at,
    paid_at,
    updated_at,
    exported_on,
    source_file,
    source_row
from ranked
where export_rank = 1

-- One row per trust-card enable/disable event (latest export wins for a repeated event_id).
with source as (
    select * from {{ source('platform', 'trust_card_events') }}
),

ranked as (
    select
        event_id,
        shop_id,
        "right" as trust_right,
        event_type,
        event_at,
        _partition_dt as exported_on,
        _source_file as source_file,
        _source_row as source_row,
        row_number() over (
            partition by
                event_id
            order by _partition_dt desc, _source_file desc, _source_row desc
        ) as export_rank
    from source
)

select
    event_id,
    shop_id,
    trust_right,
    event_type,
    event_at,
    exported_on,
    source_file,
    source_row
from ranked
where export_rank = 1

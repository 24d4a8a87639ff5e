-- One row per trust-card enable/disable event (latest export wins for a repeated event_id).
-- `right` is a reserved word: quoted the adapter's way ("right" is a string on Spark).
{{ latest_export_of(
    'trust_card_events',
    columns=[
        'event_id', 'shop_id', adapter.quote('right') ~ ' as trust_right', 'event_type',
        'event_at',
    ],
    unique_by=['event_id'],
) }}

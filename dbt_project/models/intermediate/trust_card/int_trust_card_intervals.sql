-- Intervals in which a shop held a 小店信任卡 right, from enable/disable events (the same state
-- machine as follows): an enable while disabled opens an interval, a disable closes it.
{{ event_intervals(
    ref('stg_platform__trust_card_events'),
    partition_by=['shop_id', 'trust_right'],
    on_event='enabled',
    off_event='disabled',
    from_column='enabled_at',
    until_column='disabled_at',
) }}

-- Each streamer's fan tier per month, from the follower_count of their last snapshot (by export
-- date, then file and row) in that month. Months without a snapshot have no row: marts report
-- those as 'unknown'.
--
-- Incremental, by month: a run recomputes the months its export window overlaps (their last
-- snapshot may have changed), from the snapshots exported in those months only.
{{ config(**keyed_state(
    ['streamer_id', 'month_start'],
    pre_hook=[
        "{{ record_touched_months(ref('stg_platform__streamers')) }}",
        "{{ delete_matching(touched_keys(), ['month_start']) }}",
    ],
    deleted_first=true,
)) }}

with snapshots as (
    select
        streamer_id,
        {{ period_start('month', 'exported_on') }} as month_start,
        follower_count,
        row_number() over (
            partition by streamer_id, {{ period_start('month', 'exported_on') }}
            order by exported_on desc, source_file desc, source_row desc
        ) as recency
    from {{ ref('stg_platform__streamers') }}
    where {{ in_export_window_months('exported_on') }}
)

select
    snapshots.streamer_id,
    snapshots.month_start,
    snapshots.follower_count,
    tiers.fan_tier,
    tiers.tier_order
from snapshots
inner join {{ ref('fan_tiers') }} as tiers
    on {{ in_fan_tier('snapshots.follower_count') }}
where snapshots.recency = 1

-- Each streamer as of their latest snapshot (by export date): shop, category, follower count,
-- and the fan tier that follower count falls in today (fan_tiers seed, upper bound exclusive).
--
-- Incremental, by streamer: a run recomputes the streamers with a snapshot exported in its
-- window, or whose stored snapshot came from it, without reading their history: the latest
-- snapshot is the later of the window's and the stored one (when that came from outside the
-- window, it is unchanged). Only a streamer whose stored snapshot came from the window and who
-- has none there any more (a corrected re-export dropped it) is looked up in the history.
{{ config(**keyed_state(
    'streamer_id',
    pre_hook=[
        "{{ record_touched_keys(ref('stg_platform__streamers'), 'streamer_id') }}",
        "{{ record_rows_before(of_touched_keys('streamer_id')) }}",
        "{{ delete_touched_keys('streamer_id') }}",
    ],
    post_hook=["{{ empty_rows_before() }}"],
    deleted_first=true,
)) }}
{%- set columns = 'streamer_id, shop_id, category, follower_count, created_at, exported_on' %}

with window_versions as (
    select *
    from {{ ref('stg_platform__streamers') }}
    where {{ in_export_window('exported_on') }}
),

-- The latest of the window's snapshots of each streamer in it (export date, file, row).
window_snapshots as (
    {{ deduplicate('window_versions', ['streamer_id'], lineage_columns()) }}
),

{% if is_incremental() %}
    -- Stored from the window, and no snapshot there any more.
    dropped as (  -- noqa: ST03
        select stored.streamer_id
        from {{ rows_before(this) }} as stored
        left join window_snapshots
            on stored.streamer_id = window_snapshots.streamer_id
        where
            {{ in_export_window('stored.exported_on') }}
            and window_snapshots.streamer_id is null
    ),

    dropped_versions as (  -- noqa: ST03
        select *
        from {{ ref('stg_platform__streamers') }}
        where streamer_id in (select dropped.streamer_id from dropped)
    ),
{% endif %}

-- At most two per streamer, with different export dates: the window's snapshot, and the stored
-- one from before the window, or the latest of a dropped streamer's other snapshots.
candidates as (
    select {{ columns }} from window_snapshots
    {% if is_incremental() %}
        union all
        select {{ columns }}
        from {{ rows_before(this) }}
        where not ({{ in_export_window('exported_on') }})
        union all
        select {{ columns }}
        from ({{ deduplicate('dropped_versions', ['streamer_id'], lineage_columns()) }})
            as dropped_latest
    {% endif %}
),

ranked as (
    select
        *,
        row_number() over (partition by streamer_id order by exported_on desc) as recency
    from candidates
)

select
    ranked.streamer_id,
    ranked.shop_id,
    ranked.category,
    ranked.follower_count,
    ranked.created_at,
    ranked.exported_on,
    tiers.fan_tier,
    tiers.tier_order
from ranked
inner join {{ ref('fan_tiers') }} as tiers
    on {{ in_fan_tier('ranked.follower_count') }}
where ranked.recency = 1

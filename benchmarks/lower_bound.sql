-- The "lower bound": the dbt project's marts computed by one plain DuckDB script straight from
-- the landing files, with no orchestration, no dbt and no validation or quarantine.
--
-- benchmarks/lower_bound.py substitutes the placeholders before running it:
--   {orders} {follows} {livestream_sessions} {streamers} {trust_card_events}
--   {enforcement_actions}  a relation over every landing file of the source (all formats
--                          present), with the contract's columns in their contract types plus
--                          exported_on (the dt= folder) and source_file
--   {reference}            the folder of the reference seeds (seeds/reference)
--
-- Each statement mirrors one or more dbt models (named in its comment) and keeps their
-- semantics; money stays decimal and every mart has the dbt mart's columns, types and grain.
-- Ties are broken like staging does (export date, then file) except on the row number within a
-- file, which DuckDB's CSV and JSON readers do not expose: two different versions of one order
-- with the same updated_at in the same file are the only case that could differ.

set TimeZone = 'Asia/Shanghai';
set preserve_insertion_order = false;
create schema marts;

-- stg_platform__orders: every order version. Exact duplicates are not removed: they change
-- neither the latest version nor the refund changes (a repeated version changes nothing).
create temp table order_versions as
select
    order_id, buyer_id, shop_id, streamer_id, session_id, product_id, category, quantity,
    item_amount, discount_amount, paid_amount,
    coalesce(refund_amount, 0) as refund_amount,
    status, entry_point, created_at, paid_at, updated_at, exported_on, source_file
from {orders};

-- int_orders_latest: the latest version of each order, with its reporting days and money.
create temp table orders_latest as
select
    order_id, buyer_id, shop_id, streamer_id, session_id, product_id, category, status,
    entry_point, created_at, paid_at,
    cast(created_at at time zone 'Asia/Shanghai' as date) as created_date,
    cast(paid_at at time zone 'Asia/Shanghai' as date) as paid_date,
    cast(item_amount - discount_amount as decimal(18, 2)) as placed_amount,
    cast(case when paid_at is not null then coalesce(paid_amount, 0) else 0 end as decimal(18, 2))
        as gmv,
    cast(case when paid_at is not null then refund_amount else 0 end as decimal(18, 2))
        as refund_amount,
    cast(case when paid_at is not null then coalesce(paid_amount, 0) - refund_amount else 0 end
        as decimal(18, 2)) as net_gmv
from order_versions
qualify row_number() over (
    partition by order_id order by updated_at desc, exported_on desc, source_file desc
) = 1;

-- int_order_refund_events, summed per reporting day of the version that recorded the refund.
create temp table refunds_recorded as
select
    cast(updated_at at time zone 'Asia/Shanghai' as date) as day,
    sum(refund_amount - coalesce(previous_refund_amount, 0)) as refunds_recorded
from (
    select
        updated_at,
        refund_amount,
        lag(refund_amount) over (
            partition by order_id order by updated_at, exported_on, source_file
        ) as previous_refund_amount
    from order_versions
)
where refund_amount != coalesce(previous_refund_amount, 0)
group by 1;

-- stg_platform__follows + int_follow_intervals: follow intervals from a state machine that
-- starts "not following"; followed_until is NULL while the follow is open.
create temp table follow_intervals as
with events as (
    select follower_id, streamer_id, event_type, event_at, event_id
    from {follows}
    qualify row_number() over (
        partition by event_id order by exported_on desc, source_file desc
    ) = 1
),

state_changes as (
    select *
    from (
        select
            *,
            lag(event_type) over (
                partition by follower_id, streamer_id order by event_at, event_id
            ) as previous_event_type
        from events
    )
    where event_type != coalesce(previous_event_type, 'unfollow')
)

select follower_id, streamer_id, followed_from, followed_until
from (
    select
        follower_id,
        streamer_id,
        event_type,
        event_at as followed_from,
        lead(event_at) over (
            partition by follower_id, streamer_id order by event_at, event_id
        ) as followed_until
    from state_changes
)
where event_type = 'follow';

-- fct_orders (int_orders_attributed + int_order_sequences): counted orders with their
-- point-in-time traffic domain and their position among the buyer's orders in each scope.
-- The intervals of one (buyer, streamer) are disjoint, so the join matches at most one.
create table marts.fct_orders as
with attributed as (
    select
        orders.*,
        case when follows.follower_id is not null then 'private' else 'public' end
            as traffic_domain
    from orders_latest as orders
    left join follow_intervals as follows
        on orders.buyer_id = follows.follower_id
        and orders.streamer_id = follows.streamer_id
        and follows.followed_from <= orders.paid_at
        and (follows.followed_until is null or orders.paid_at < follows.followed_until)
    where orders.paid_at is not null
),

sequenced as (
    select
        *,
        row_number() over (partition by buyer_id order by paid_at, order_id)
            as platform_order_seq,
        row_number() over (partition by buyer_id, shop_id order by paid_at, order_id)
            as shop_order_seq,
        case
            when streamer_id is not null
                then row_number() over (
                    partition by buyer_id, streamer_id order by paid_at, order_id
                )
        end as streamer_order_seq
    from attributed
)

select
    order_id, buyer_id, shop_id, streamer_id, session_id, product_id, category, entry_point,
    status, created_at, paid_at, paid_date, gmv, refund_amount, net_gmv, traffic_domain,
    platform_order_seq, shop_order_seq, streamer_order_seq,
    platform_order_seq >= 2 as is_platform_repurchase,
    shop_order_seq >= 2 as is_shop_repurchase,
    coalesce(streamer_order_seq >= 2, false) as is_streamer_repurchase
from sequenced;

-- gmv_daily: paid figures on the paid day (latest version), placed figures on the created day
-- (every order, paid or not), refunds on the day they were recorded.
create table marts.gmv_daily as
with paid as (
    select
        paid_date as day,
        count(*) as orders,
        count(distinct buyer_id) as buyers,
        sum(gmv) as gmv,
        sum(refund_amount) as refund_amount,
        sum(net_gmv) as net_gmv,
        sum(case when traffic_domain = 'private' then gmv else 0 end) as private_gmv,
        sum(case when traffic_domain = 'public' then gmv else 0 end) as public_gmv
    from marts.fct_orders
    group by paid_date
),

placed as (
    select created_date as day, count(*) as placed_orders, sum(placed_amount) as placed_gmv
    from orders_latest
    group by created_date
),

days as (
    select day from paid
    union
    select day from placed
    union
    select day from refunds_recorded
)

select
    days.day,
    coalesce(paid.orders, 0) as orders,
    coalesce(paid.buyers, 0) as buyers,
    cast(coalesce(paid.gmv, 0) as decimal(18, 2)) as gmv,
    cast(coalesce(paid.refund_amount, 0) as decimal(18, 2)) as refund_amount,
    cast(coalesce(paid.net_gmv, 0) as decimal(18, 2)) as net_gmv,
    cast(coalesce(paid.private_gmv, 0) as decimal(18, 2)) as private_gmv,
    cast(coalesce(paid.public_gmv, 0) as decimal(18, 2)) as public_gmv,
    coalesce(placed.placed_orders, 0) as placed_orders,
    cast(coalesce(placed.placed_gmv, 0) as decimal(18, 2)) as placed_gmv,
    cast(coalesce(refunds.refunds_recorded, 0) as decimal(18, 2)) as refunds_recorded
from days
left join paid on days.day = paid.day
left join placed on days.day = placed.day
left join refunds_recorded as refunds on days.day = refunds.day;

-- int_orders_by_scope: each counted order once per scope (platform, shop, streamer).
create temp table orders_by_scope as
with scoped as (
    select 'platform' as scope, 'all' as scope_id, platform_order_seq as scope_order_seq, *
    from marts.fct_orders
    union all
    select 'shop' as scope, shop_id as scope_id, shop_order_seq as scope_order_seq, *
    from marts.fct_orders
    union all
    select 'streamer' as scope, streamer_id as scope_id, streamer_order_seq as scope_order_seq, *
    from marts.fct_orders
    where streamer_id is not null
)

select
    scope, scope_id, order_id, buyer_id, paid_at, paid_date,
    cast(date_trunc('month', paid_date) as date) as month_start,
    gmv, traffic_domain, scope_order_seq,
    scope_order_seq >= 2 as is_repurchase
from scoped;

-- repurchase_rate: buyers with >= 2 counted orders in the period and scope / buyers with >= 1.
create table marts.repurchase_rate as
with buyer_periods as (
    select
        'month' as period_grain, cast(date_trunc('month', paid_date) as date) as period_start,
        scope, scope_id, buyer_id, count(*) as counted_orders
    from orders_by_scope
    group by 2, 3, 4, 5
    union all
    select
        'quarter' as period_grain, cast(date_trunc('quarter', paid_date) as date) as period_start,
        scope, scope_id, buyer_id, count(*) as counted_orders
    from orders_by_scope
    group by 2, 3, 4, 5
    union all
    select
        'year' as period_grain, cast(date_trunc('year', paid_date) as date) as period_start,
        scope, scope_id, buyer_id, count(*) as counted_orders
    from orders_by_scope
    group by 2, 3, 4, 5
)

select
    period_grain,
    period_start,
    scope,
    scope_id,
    count(*) as buyers,
    count(case when counted_orders >= 2 then 1 end) as repeat_buyers,
    cast(count(case when counted_orders >= 2 then 1 end) as double) / count(*)
        as repeat_purchase_rate
from buyer_periods
group by period_grain, period_start, scope, scope_id;

-- returning_buyers_monthly: the month's buyers who bought in the scope in the 12 months before.
create table marts.returning_buyers_monthly as
with buyer_months as (
    select distinct scope, scope_id, buyer_id, month_start
    from orders_by_scope
),

flagged as (
    select
        scope,
        scope_id,
        month_start,
        lag(month_start) over (partition by scope, scope_id, buyer_id order by month_start)
            >= month_start - interval 12 month as is_returning
    from buyer_months
)

select
    month_start,
    scope,
    scope_id,
    count(*) as buyers,
    count(case when is_returning then 1 end) as returning_buyers,
    cast(count(case when is_returning then 1 end) as double) / count(*) as returning_buyer_share
from flagged
group by month_start, scope, scope_id;

-- private_domain_share_monthly
create table marts.private_domain_share_monthly as
select
    month_start,
    scope,
    scope_id,
    cast(sum(gmv) as decimal(18, 2)) as gmv,
    cast(sum(case when traffic_domain = 'private' then gmv else 0 end) as decimal(18, 2))
        as private_gmv,
    case
        when sum(gmv) > 0
            then cast(sum(case when traffic_domain = 'private' then gmv else 0 end) as double)
            / sum(gmv)
    end as private_domain_share,
    count(*) as orders,
    count(case when traffic_domain = 'private' then 1 end) as private_orders,
    cast(count(case when traffic_domain = 'private' then 1 end) as double) / count(*)
        as private_order_share,
    count(case when is_repurchase then 1 end) as repurchase_orders,
    count(case when is_repurchase and traffic_domain = 'private' then 1 end)
        as private_repurchase_orders,
    case
        when count(case when is_repurchase then 1 end) > 0
            then cast(count(case when is_repurchase and traffic_domain = 'private' then 1 end)
                as double)
            / count(case when is_repurchase then 1 end)
    end as repurchase_private_share
from orders_by_scope
group by month_start, scope, scope_id;

-- cohort_retention: of the buyers whose first counted order in the scope falls in the month,
-- those with a second within 30/90/180 days; NULL until the window has elapsed for the cohort.
create table marts.cohort_retention as
with buyers as (
    select
        firsts.scope,
        firsts.scope_id,
        firsts.month_start as cohort_month,
        case when seconds.paid_at <= firsts.paid_at + interval 30 day then 1 else 0 end
            as retained_30d,
        case when seconds.paid_at <= firsts.paid_at + interval 90 day then 1 else 0 end
            as retained_90d,
        case when seconds.paid_at <= firsts.paid_at + interval 180 day then 1 else 0 end
            as retained_180d
    from orders_by_scope as firsts
    left join orders_by_scope as seconds
        on firsts.scope = seconds.scope
        and firsts.scope_id = seconds.scope_id
        and firsts.buyer_id = seconds.buyer_id
        and seconds.scope_order_seq = 2
    where firsts.scope_order_seq = 1
),

cohorts as (
    select
        scope,
        scope_id,
        cohort_month,
        count(*) as cohort_buyers,
        cast(sum(retained_30d) as bigint) as retained_30d,
        cast(sum(retained_90d) as bigint) as retained_90d,
        cast(sum(retained_180d) as bigint) as retained_180d,
        last_day(cohort_month) as cohort_last_day
    from buyers
    group by scope, scope_id, cohort_month
),

data_end as (
    select max(paid_date) as last_paid_date from marts.fct_orders
)

select
    cohort_month,
    scope,
    scope_id,
    cohort_buyers,
    case when cohort_last_day + 30 <= last_paid_date then retained_30d end as retained_30d,
    case
        when cohort_last_day + 30 <= last_paid_date
            then cast(retained_30d as double) / cohort_buyers
    end as retention_30d,
    case when cohort_last_day + 90 <= last_paid_date then retained_90d end as retained_90d,
    case
        when cohort_last_day + 90 <= last_paid_date
            then cast(retained_90d as double) / cohort_buyers
    end as retention_90d,
    case when cohort_last_day + 180 <= last_paid_date then retained_180d end as retained_180d,
    case
        when cohort_last_day + 180 <= last_paid_date
            then cast(retained_180d as double) / cohort_buyers
    end as retention_180d
from cohorts
cross join data_end;

-- stg_platform__livestream_sessions + int_livestream_sessions: the latest export of each session.
create temp table sessions as
select
    session_id, streamer_id, started_at, ended_at, viewers, follower_viewers, watch_seconds,
    peak_concurrent, interactions
from {livestream_sessions}
qualify row_number() over (
    partition by session_id order by exported_on desc, source_file desc
) = 1;

-- fct_livestream_sessions: each session's audience and the counted orders placed in it.
create table marts.fct_livestream_sessions as
with session_orders as (
    select
        session_id,
        count(*) as orders,
        count(distinct buyer_id) as buyers,
        sum(gmv) as gmv,
        sum(case when traffic_domain = 'private' then gmv else 0 end) as private_gmv
    from marts.fct_orders
    where session_id is not null
    group by session_id
)

select
    sessions.session_id,
    sessions.streamer_id,
    sessions.started_at,
    sessions.ended_at,
    cast(sessions.started_at at time zone 'Asia/Shanghai' as date) as session_date,
    sessions.viewers,
    sessions.follower_viewers,
    sessions.viewers - sessions.follower_viewers as public_viewers,
    sessions.watch_seconds,
    cast(sessions.watch_seconds as double) / 60 as watch_minutes,
    sessions.peak_concurrent,
    sessions.interactions,
    coalesce(session_orders.orders, 0) as orders,
    coalesce(session_orders.buyers, 0) as buyers,
    cast(coalesce(session_orders.gmv, 0) as decimal(18, 2)) as gmv,
    cast(coalesce(session_orders.private_gmv, 0) as decimal(18, 2)) as private_gmv
from sessions
left join session_orders on sessions.session_id = session_orders.session_id;

-- gmv_decomposition_monthly: UV × minutes/UV × buyers/minute × GMV/order × orders/buyer = GMV,
-- per streamer and month of session start, over the orders placed in those sessions.
create table marts.gmv_decomposition_monthly as
with session_months as (
    select
        cast(date_trunc('month', session_date) as date) as month_start,
        streamer_id, session_id, viewers, follower_viewers, watch_seconds
    from marts.fct_livestream_sessions
),

audience as (
    select
        month_start,
        streamer_id,
        count(*) as sessions,
        sum(viewers) as viewers,
        sum(follower_viewers) as private_viewers,
        cast(sum(watch_seconds) as double) / 60 as watch_minutes
    from session_months
    group by month_start, streamer_id
),

sales as (
    select
        session_months.month_start,
        session_months.streamer_id,
        count(*) as orders,
        count(distinct orders.buyer_id) as buyers,
        sum(orders.gmv) as gmv
    from session_months
    inner join marts.fct_orders as orders on session_months.session_id = orders.session_id
    group by session_months.month_start, session_months.streamer_id
),

combined as (
    select
        audience.month_start,
        audience.streamer_id,
        audience.sessions,
        cast(audience.viewers as bigint) as viewers,
        cast(audience.private_viewers as bigint) as private_viewers,
        cast(audience.viewers - audience.private_viewers as bigint) as public_viewers,
        audience.watch_minutes,
        coalesce(sales.orders, 0) as orders,
        coalesce(sales.buyers, 0) as buyers,
        cast(coalesce(sales.gmv, 0) as decimal(18, 2)) as gmv
    from audience
    left join sales
        on audience.month_start = sales.month_start
        and audience.streamer_id = sales.streamer_id
)

select
    *,
    case when viewers > 0 then watch_minutes / viewers end as watch_minutes_per_viewer,
    case when watch_minutes > 0 then buyers / watch_minutes end as buyers_per_watch_minute,
    case when orders > 0 then cast(gmv as double) / orders end as avg_order_value,
    case when buyers > 0 then cast(orders as double) / buyers end as orders_per_buyer
from combined;

-- stg_platform__enforcement_actions + fct_enforcement_actions.
create table marts.fct_enforcement_actions as
select
    action_id,
    action_at,
    cast(action_at at time zone 'Asia/Shanghai' as date) as action_date,
    action_type,
    reason,
    coalesce(campaign, 'none') as campaign,
    target_type, target_id, session_id, gang_id, case_id, reporter_id, amount_involved,
    exported_on
from {enforcement_actions}
qualify row_number() over (
    partition by action_id order by exported_on desc, source_file desc
) = 1;

-- enforcement_daily (macro enforcement_measures)
create table marts.enforcement_daily as
select
    action_date as day,
    action_type,
    reason,
    campaign,
    count(*) as actions,
    count(distinct target_type || ':' || target_id) as distinct_targets,
    count(distinct gang_id) as distinct_gangs,
    count(distinct case when gang_id is not null then target_type || ':' || target_id end)
        as gang_accounts,
    count(distinct case_id) as distinct_cases,
    cast(coalesce(sum(amount_involved), 0) as decimal(18, 2)) as amount_involved
from marts.fct_enforcement_actions
group by action_date, action_type, reason, campaign;

-- enforcement_monthly (macro enforcement_measures)
create table marts.enforcement_monthly as
select
    cast(date_trunc('month', action_date) as date) as month_start,
    action_type,
    reason,
    campaign,
    count(*) as actions,
    count(distinct target_type || ':' || target_id) as distinct_targets,
    count(distinct gang_id) as distinct_gangs,
    count(distinct case when gang_id is not null then target_type || ':' || target_id end)
        as gang_accounts,
    count(distinct case_id) as distinct_cases,
    cast(coalesce(sum(amount_involved), 0) as decimal(18, 2)) as amount_involved
from marts.fct_enforcement_actions
group by 1, action_type, reason, campaign;

-- stg_platform__streamers + int_streamer_monthly_fan_tiers: each streamer's tier per month from
-- the follower_count of the month's last snapshot (export date).
create temp table streamer_monthly_fan_tiers as
with snapshots as (
    select
        streamer_id,
        cast(date_trunc('month', exported_on) as date) as month_start,
        follower_count
    from {streamers}
    qualify row_number() over (
        partition by streamer_id, date_trunc('month', exported_on)
        order by exported_on desc, source_file desc
    ) = 1
)

select snapshots.streamer_id, snapshots.month_start, snapshots.follower_count, tiers.fan_tier
from snapshots
inner join read_csv(
    '{reference}/fan_tiers.csv',
    header = true,
    types = {'min_followers': 'BIGINT', 'max_followers_exclusive': 'BIGINT'}
) as tiers
    on snapshots.follower_count >= tiers.min_followers
    and (
        tiers.max_followers_exclusive is null
        or snapshots.follower_count < tiers.max_followers_exclusive
    );

-- fan_tier_monthly: streamer-sold GMV and sessions per month by the streamers' tier that month.
create table marts.fan_tier_monthly as
with activity as (
    select
        cast(date_trunc('month', paid_date) as date) as month_start,
        streamer_id,
        0 as sessions,
        gmv
    from marts.fct_orders
    where streamer_id is not null
    union all
    select
        cast(date_trunc('month', session_date) as date) as month_start,
        streamer_id,
        1 as sessions,
        0 as gmv
    from marts.fct_livestream_sessions
),

by_tier as (
    select
        activity.month_start,
        coalesce(tiers.fan_tier, 'unknown') as fan_tier,
        count(distinct activity.streamer_id) as streamers,
        cast(sum(activity.sessions) as bigint) as sessions,
        cast(sum(activity.gmv) as decimal(18, 2)) as gmv
    from activity
    left join streamer_monthly_fan_tiers as tiers
        on activity.streamer_id = tiers.streamer_id
        and activity.month_start = tiers.month_start
    group by 1, 2
),

with_totals as (
    select
        *,
        cast(sum(sessions) over (partition by month_start) as bigint) as total_sessions,
        cast(sum(gmv) over (partition by month_start) as decimal(18, 2)) as total_gmv
    from by_tier
)

select
    *,
    case when total_gmv > 0 then cast(gmv as double) / total_gmv end as gmv_share,
    case when total_sessions > 0 then cast(sessions as double) / total_sessions end
        as session_share
from with_totals;

-- stg_platform__trust_card_events + int_trust_card_intervals: the same state machine as follows.
create temp table trust_card_intervals as
with events as (
    select shop_id, "right" as trust_right, event_type, event_at, event_id
    from {trust_card_events}
    qualify row_number() over (
        partition by event_id order by exported_on desc, source_file desc
    ) = 1
),

state_changes as (
    select *
    from (
        select
            *,
            lag(event_type) over (
                partition by shop_id, trust_right order by event_at, event_id
            ) as previous_event_type
        from events
    )
    where event_type != coalesce(previous_event_type, 'disabled')
)

select shop_id, trust_right, enabled_at, disabled_at
from (
    select
        shop_id,
        trust_right,
        event_type,
        event_at as enabled_at,
        lead(event_at) over (partition by shop_id, trust_right order by event_at, event_id)
            as disabled_at
    from state_changes
)
where event_type = 'enabled';

-- dim_shop_trust_rights
create table marts.dim_shop_trust_rights as
select
    intervals.shop_id,
    intervals.trust_right,
    rights.name_zh as trust_right_zh,
    intervals.enabled_at,
    intervals.disabled_at,
    cast(intervals.enabled_at at time zone 'Asia/Shanghai' as date) as enabled_date,
    cast(intervals.disabled_at at time zone 'Asia/Shanghai' as date) as disabled_date
from trust_card_intervals as intervals
left join read_csv('{reference}/trust_card_rights.csv', header = true, all_varchar = true)
    as rights
    on intervals.trust_right = rights.trust_right;

-- trust_card_impact: each enablement's repeat-purchase rate in the shop 90 days before and
-- after, beside the same windows pooled over the shops that never held the right.
create table marts.trust_card_impact as
with holders as (
    select distinct shop_id, trust_right from trust_card_intervals
),

-- Window starts a (before: enabled_at - 90 d, after: enabled_at) for which a (shop, buyer)
-- newly has >= 1 / >= 2 counted orders in [a, a + 90 d): disjoint intervals (after, until]
-- per pair, counted at each window start by a running sum (linear, not windows x orders).
-- The control arm of a right: all pairs less the pairs of the shops that ever held it.
sequenced as (
    select
        shop_id,
        paid_at,
        lag(paid_at, 1) over pair_orders as previous_paid_at,
        lag(paid_at, 2) over pair_orders as second_previous_paid_at
    from marts.fct_orders
    window pair_orders as (partition by shop_id, buyer_id order by paid_at, order_id)
),

coverage as (
    select shop_id, 'buyers' as measure,
        greatest(paid_at - interval 90 day, coalesce(previous_paid_at, paid_at - interval 90 day))
            as covered_after,
        paid_at as covered_until
    from sequenced
    union all
    select shop_id, 'repeat_buyers' as measure,
        greatest(paid_at - interval 90 day,
            coalesce(second_previous_paid_at, paid_at - interval 90 day)) as covered_after,
        previous_paid_at as covered_until
    from sequenced
    where previous_paid_at is not null
),

arm_coverage as (
    select 'treated' as arm, shop_id as arm_key, measure, covered_after, covered_until
    from coverage
    where covered_after < covered_until
    union all
    select 'all', 'all', measure, covered_after, covered_until
    from coverage
    where covered_after < covered_until
    union all
    select 'holders', holders.trust_right, measure, covered_after, covered_until
    from coverage
    inner join holders on coverage.shop_id = holders.shop_id
    where covered_after < covered_until
),

window_starts as (
    select
        shop_id, trust_right, enabled_at, side, arm,
        case arm when 'treated' then shop_id when 'all' then 'all' else trust_right end
            as arm_key,
        case when side = 'before' then enabled_at - interval 90 day else enabled_at end
            as window_start
    from trust_card_intervals
    cross join (values ('before'), ('after')) as sides (side)
    cross join (values ('treated'), ('all'), ('holders')) as arms (arm)
),

timeline as (
    select arm, arm_key, measure, covered_after as event_at, 1 as step, 1 as delta,
        null::varchar as shop_id, null::varchar as trust_right,
        null::timestamptz as enabled_at, null::varchar as side
    from arm_coverage
    union all
    select arm, arm_key, measure, covered_until, 1, -1, null, null, null, null
    from arm_coverage
    union all
    select arm, arm_key, measure, window_start, 0, 0, shop_id, trust_right, enabled_at, side
    from window_starts
    cross join (values ('buyers'), ('repeat_buyers')) as measures (measure)
),

counted as (
    select
        shop_id, trust_right, enabled_at, side, arm, measure, step,
        sum(delta) over (
            partition by arm, arm_key, measure
            order by event_at, step
            rows between unbounded preceding and current row
        ) as pairs
    from timeline
),

rates as (
    select
        shop_id,
        trust_right,
        enabled_at,
        sum(pairs) filter (where arm = 'treated' and side = 'before' and measure = 'buyers')
            as before_buyers,
        sum(pairs) filter (where arm = 'all' and side = 'before' and measure = 'buyers')
            - sum(pairs) filter (where arm = 'holders' and side = 'before' and measure = 'buyers')
            as control_before_buyers,
        sum(pairs) filter (where arm = 'treated' and side = 'before' and measure = 'repeat_buyers')
            as before_repeat_buyers,
        sum(pairs) filter (where arm = 'all' and side = 'before' and measure = 'repeat_buyers')
            - sum(pairs) filter (where arm = 'holders' and side = 'before' and measure = 'repeat_buyers')
            as control_before_repeat_buyers,
        sum(pairs) filter (where arm = 'treated' and side = 'after' and measure = 'buyers')
            as after_buyers,
        sum(pairs) filter (where arm = 'all' and side = 'after' and measure = 'buyers')
            - sum(pairs) filter (where arm = 'holders' and side = 'after' and measure = 'buyers')
            as control_after_buyers,
        sum(pairs) filter (where arm = 'treated' and side = 'after' and measure = 'repeat_buyers')
            as after_repeat_buyers,
        sum(pairs) filter (where arm = 'all' and side = 'after' and measure = 'repeat_buyers')
            - sum(pairs) filter (where arm = 'holders' and side = 'after' and measure = 'repeat_buyers')
            as control_after_repeat_buyers
    from counted
    where step = 0
    group by shop_id, trust_right, enabled_at
),

measured as (
    select
        enablements.shop_id,
        enablements.trust_right,
        enablements.enabled_at,
        coalesce(rates.before_buyers, 0)::bigint as before_buyers,
        coalesce(rates.before_repeat_buyers, 0)::bigint as before_repeat_buyers,
        case
            when rates.before_buyers > 0
                then cast(rates.before_repeat_buyers as double) / rates.before_buyers
        end as before_rate,
        coalesce(rates.after_buyers, 0)::bigint as after_buyers,
        coalesce(rates.after_repeat_buyers, 0)::bigint as after_repeat_buyers,
        case
            when rates.after_buyers > 0
                then cast(rates.after_repeat_buyers as double) / rates.after_buyers
        end as after_rate,
        coalesce(rates.control_before_buyers, 0)::bigint as control_before_buyers,
        coalesce(rates.control_before_repeat_buyers, 0)::bigint as control_before_repeat_buyers,
        case
            when rates.control_before_buyers > 0
                then cast(rates.control_before_repeat_buyers as double)
                / rates.control_before_buyers
        end as control_before_rate,
        coalesce(rates.control_after_buyers, 0)::bigint as control_after_buyers,
        coalesce(rates.control_after_repeat_buyers, 0)::bigint as control_after_repeat_buyers,
        case
            when rates.control_after_buyers > 0
                then cast(rates.control_after_repeat_buyers as double)
                / rates.control_after_buyers
        end as control_after_rate,
        enablements.enabled_at + interval 90 day <= data_end.last_paid_at
            as after_window_complete
    from trust_card_intervals as enablements
    left join rates
        on enablements.shop_id = rates.shop_id
        and enablements.trust_right = rates.trust_right
        and enablements.enabled_at = rates.enabled_at
    cross join (select max(paid_at) as last_paid_at from marts.fct_orders) as data_end
)

select
    *,
    (after_rate - before_rate) - (control_after_rate - control_before_rate) as diff_in_diff
from measured;

-- festival_gmv: festival GMV against the 30 days before it and the same festival a year before.
create table marts.festival_gmv as
with festivals as (
    select *
    from read_csv(
        '{reference}/shopping_festivals.csv',
        header = true,
        types = {'festival_id': 'VARCHAR', 'start_date': 'DATE', 'end_date': 'DATE'}
    )
),

festival_days as (
    select festivals.festival_id, sum(days.gmv) as gmv, sum(days.orders) as orders
    from festivals
    inner join marts.gmv_daily as days
        on days.day between festivals.start_date and festivals.end_date
    group by festivals.festival_id
),

baseline_days as (
    select festivals.festival_id, count(*) as baseline_days, sum(days.gmv) as baseline_gmv
    from festivals
    inner join marts.gmv_daily as days
        on days.day >= festivals.start_date - interval 30 day
        and days.day < festivals.start_date
    group by festivals.festival_id
),

measured as (
    select
        festivals.festival_id,
        festivals.festival_name,
        festivals.name_zh,
        festivals.start_date,
        festivals.end_date,
        date_diff('day', festivals.start_date, festivals.end_date) + 1 as festival_days,
        cast(festival_days.gmv as decimal(18, 2)) as gmv,
        cast(festival_days.orders as bigint) as orders,
        coalesce(baseline_days.baseline_days, 0) as baseline_days,
        cast(coalesce(baseline_days.baseline_gmv, 0) as decimal(18, 2)) as baseline_gmv
    from festivals
    inner join festival_days on festivals.festival_id = festival_days.festival_id
    left join baseline_days on festivals.festival_id = baseline_days.festival_id
)

select
    measured.*,
    cast(measured.gmv as double) / measured.festival_days as festival_daily_gmv,
    case
        when measured.baseline_days > 0
            then cast(measured.baseline_gmv as double) / measured.baseline_days
    end as baseline_daily_gmv,
    case
        when measured.baseline_days > 0 and measured.baseline_gmv > 0
            then (cast(measured.gmv as double) / measured.festival_days)
            / (cast(measured.baseline_gmv as double) / measured.baseline_days)
    end as uplift,
    prior_year.gmv as prior_year_gmv,
    case
        when prior_year.gmv > 0 then cast(measured.gmv as double) / prior_year.gmv - 1
    end as yoy_growth
from measured
left join measured as prior_year
    on measured.festival_name = prior_year.festival_name
    and date_trunc('year', prior_year.start_date)
    = date_trunc('year', measured.start_date) - interval 1 year;

-- gmv_monthly_by_dimension: GMV per month by one dimension at a time, with the prior month and
-- the same month a year before.
create table marts.gmv_monthly_by_dimension as
with orders as (
    select
        orders.*,
        case
            when orders.streamer_id is null then 'none'
            else coalesce(tiers.fan_tier, 'unknown')
        end as fan_tier_value
    from (
        select *, cast(date_trunc('month', paid_date) as date) as month_start
        from marts.fct_orders
    ) as orders
    left join streamer_monthly_fan_tiers as tiers
        on orders.streamer_id = tiers.streamer_id
        and orders.month_start = tiers.month_start
),

sliced as (
    select
        month_start, dimension, dimension_value,
        count(*) as orders, count(distinct buyer_id) as buyers,
        sum(gmv) as gmv, sum(net_gmv) as net_gmv
    from (
        select month_start, 'platform' as dimension, 'all' as dimension_value, buyer_id, gmv,
            net_gmv
        from orders
        union all
        select month_start, 'shop', shop_id, buyer_id, gmv, net_gmv from orders
        union all
        select month_start, 'streamer', coalesce(streamer_id, 'none'), buyer_id, gmv, net_gmv
        from orders
        union all
        select month_start, 'category', category, buyer_id, gmv, net_gmv from orders
        union all
        select month_start, 'entry_point', entry_point, buyer_id, gmv, net_gmv from orders
        union all
        select month_start, 'traffic_domain', traffic_domain, buyer_id, gmv, net_gmv from orders
        union all
        select month_start, 'fan_tier', fan_tier_value, buyer_id, gmv, net_gmv from orders
    )
    group by 1, 2, 3
)

select
    current_period.month_start,
    current_period.dimension,
    current_period.dimension_value,
    cast(current_period.gmv as decimal(18, 2)) as gmv,
    cast(current_period.net_gmv as decimal(18, 2)) as net_gmv,
    current_period.orders,
    current_period.buyers,
    cast(prior_month.gmv as decimal(18, 2)) as prior_month_gmv,
    cast(prior_year.gmv as decimal(18, 2)) as prior_year_gmv,
    case
        when prior_month.gmv > 0 then cast(current_period.gmv as double) / prior_month.gmv - 1
    end as mom_growth,
    case
        when prior_year.gmv > 0 then cast(current_period.gmv as double) / prior_year.gmv - 1
    end as yoy_growth
from sliced as current_period
left join sliced as prior_month
    on current_period.dimension = prior_month.dimension
    and current_period.dimension_value = prior_month.dimension_value
    and prior_month.month_start = current_period.month_start - interval 1 month
left join sliced as prior_year
    on current_period.dimension = prior_year.dimension
    and current_period.dimension_value = prior_year.dimension_value
    and prior_year.month_start = current_period.month_start - interval 12 month;

-- enforcement_commerce_monthly: the month's GMV and the part sold by shops or streamers that
-- received a penalty that month (an order counts once even if both were penalised).
create table marts.enforcement_commerce_monthly as
with penalised as (
    select distinct
        cast(date_trunc('month', action_date) as date) as month_start, target_type, target_id
    from marts.fct_enforcement_actions
    where action_type = 'penalty' and target_type in ('shop', 'streamer')
),

flagged as (
    select
        cast(date_trunc('month', orders.paid_date) as date) as month_start,
        orders.gmv,
        penalised_shops.target_id is not null
        or penalised_streamers.target_id is not null as is_penalised
    from marts.fct_orders as orders
    left join penalised as penalised_shops
        on cast(date_trunc('month', orders.paid_date) as date) = penalised_shops.month_start
        and penalised_shops.target_type = 'shop'
        and orders.shop_id = penalised_shops.target_id
    left join penalised as penalised_streamers
        on cast(date_trunc('month', orders.paid_date) as date) = penalised_streamers.month_start
        and penalised_streamers.target_type = 'streamer'
        and orders.streamer_id = penalised_streamers.target_id
)

select
    month_start,
    cast(sum(gmv) as decimal(18, 2)) as gmv,
    cast(sum(case when is_penalised then gmv else 0 end) as decimal(18, 2)) as penalised_gmv,
    case
        when sum(gmv) > 0
            then cast(sum(case when is_penalised then gmv else 0 end) as double) / sum(gmv)
    end as penalised_gmv_share
from flagged
group by month_start;

-- headline_figures: the platform's headline figures in one row.
create table marts.headline_figures as
with totals as (
    select
        min(day) as first_day,
        max(day) as last_day,
        cast(sum(gmv) as decimal(18, 2)) as gmv,
        cast(sum(net_gmv) as decimal(18, 2)) as net_gmv
    from marts.gmv_daily
),

latest_year_repurchase as (
    select period_start, buyers, repeat_buyers, repeat_purchase_rate
    from marts.repurchase_rate
    where period_grain = 'year' and scope = 'platform'
    order by period_start desc
    limit 1
),

latest_month_returning as (
    select month_start, buyers, returning_buyers, returning_buyer_share
    from marts.returning_buyers_monthly
    where scope = 'platform'
    order by month_start desc
    limit 1
),

private_domain as (
    select
        cast(sum(private_gmv) as decimal(18, 2)) as private_gmv,
        cast(sum(repurchase_orders) as bigint) as repurchase_orders,
        cast(sum(private_repurchase_orders) as bigint) as private_repurchase_orders
    from marts.private_domain_share_monthly
    where scope = 'platform'
),

enforcement as (
    select
        count(distinct action_date) as enforcement_days,
        count(case when action_type = 'brushing_intercept' then 1 end)
            as brushing_interceptions,
        count(distinct case
            when action_type = 'room_ban' and reason = 'private_order'
                and target_type = 'live_room' then target_id
        end) as live_rooms_banned_private_order,
        count(distinct case when action_type = 'account_clearance' then gang_id end)
            as gangs_cleared,
        count(distinct case when action_type = 'account_clearance' then target_id end)
            as accounts_cleared,
        count(case when action_type = 'police_referral' then 1 end) as police_referrals,
        count(distinct case when action_type = 'police_referral' then case_id end)
            as referral_cases,
        cast(coalesce(sum(case when action_type = 'police_referral' then amount_involved end), 0)
            as decimal(18, 2)) as referral_amount,
        count(distinct case when campaign = 'pinocchio' then session_id end)
            as pinocchio_sessions,
        count(distinct case when campaign = 'pinocchio' then reporter_id end)
            as pinocchio_reporters,
        count(case when campaign = 'pinocchio' and action_type = 'penalty' then 1 end)
            as pinocchio_penalties
    from marts.fct_enforcement_actions
)

select
    totals.first_day,
    totals.last_day,
    totals.gmv,
    totals.net_gmv,
    latest_year_repurchase.period_start as repeat_purchase_year_start,
    latest_year_repurchase.buyers as repeat_purchase_buyers,
    latest_year_repurchase.repeat_buyers,
    latest_year_repurchase.repeat_purchase_rate,
    latest_month_returning.month_start as returning_month_start,
    latest_month_returning.buyers as returning_month_buyers,
    latest_month_returning.returning_buyers,
    latest_month_returning.returning_buyer_share,
    private_domain.private_gmv,
    case
        when totals.gmv > 0 then cast(private_domain.private_gmv as double) / totals.gmv
    end as private_domain_share,
    private_domain.repurchase_orders,
    private_domain.private_repurchase_orders,
    case
        when private_domain.repurchase_orders > 0
            then cast(private_domain.private_repurchase_orders as double)
            / private_domain.repurchase_orders
    end as repurchase_private_share,
    enforcement.enforcement_days,
    enforcement.brushing_interceptions,
    cast(enforcement.brushing_interceptions as double)
    / nullif(enforcement.enforcement_days, 0) as brushing_interceptions_per_day,
    enforcement.live_rooms_banned_private_order,
    enforcement.gangs_cleared,
    enforcement.accounts_cleared,
    enforcement.police_referrals,
    enforcement.referral_cases,
    enforcement.referral_amount,
    enforcement.pinocchio_sessions,
    enforcement.pinocchio_reporters,
    enforcement.pinocchio_penalties
from totals
cross join latest_year_repurchase
cross join latest_month_returning
cross join private_domain
cross join enforcement;

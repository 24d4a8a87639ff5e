-- Which shops hold which trust-card right, as intervals: a shop holds `trust_right` on every
-- day from enabled_date to disabled_date (or to today when disabled_at is NULL).
select
    intervals.shop_id,
    intervals.trust_right,
    rights.name_zh as trust_right_zh,
    intervals.enabled_at,
    intervals.disabled_at,
    {{ reporting_date('intervals.enabled_at') }} as enabled_date,
    {{ reporting_date('intervals.disabled_at') }} as disabled_date
from {{ ref('int_trust_card_intervals') }} as intervals
left join {{ ref('trust_card_rights') }} as rights
    on intervals.trust_right = rights.trust_right

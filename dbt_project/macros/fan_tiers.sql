{#- Join condition: `follower_count` falls in the fan tier `tiers` (a row of the fan_tiers seed;
    lower bound inclusive, upper bound exclusive, no upper bound for the top tier). -#}
{% macro in_fan_tier(follower_count, tiers='tiers') -%}
    {{ follower_count }} >= {{ tiers }}.min_followers
    and (
        {{ tiers }}.max_followers_exclusive is null
        or {{ follower_count }} < {{ tiers }}.max_followers_exclusive
    )
{%- endmacro %}

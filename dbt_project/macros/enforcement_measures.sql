{#-
  The enforcement measures, defined once for every grain (enforcement_daily, enforcement_monthly):
  distinct counts are within the group and never add up across groups.
-#}
{% macro enforcement_measures() -%}
    count(*) as actions,
    count(distinct target_type || ':' || target_id) as distinct_targets,
    count(distinct gang_id) as distinct_gangs,
    count(distinct case when gang_id is not null then target_type || ':' || target_id end)
        as gang_accounts,
    count(distinct case_id) as distinct_cases,
    {{ money('coalesce(sum(amount_involved), 0)') }} as amount_involved
{%- endmacro %}

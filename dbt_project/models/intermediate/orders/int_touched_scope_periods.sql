-- The (period grain, period start, scope, scope_id) groups of repurchase_rate an incremental run
-- recomputes: the months, quarters and years that contain a touched scope-month. Empty after a
-- full build. Tagged `bookkeeping`: not a business model, so the lower-bound script leaves it out.
{%- set grains = ['month', 'quarter', 'year'] %}
{{ config(tags=['bookkeeping']) }}

{% for grain in grains -%}
    select distinct
        '{{ grain }}' as period_grain,
        {{ period_start(grain, 'month_start') }} as period_start,
        scope,
        scope_id
    from {{ ref('int_touched_scope_months') }}
    {% if not loop.last %}union all
    {% endif %}
{%- endfor %}

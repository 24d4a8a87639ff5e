{#-
  Counts of buyers (or orders) per group (repurchase_rate, returning_buyers_monthly,
  int_cohort_counts, private_domain_share_monthly), kept by adding what a run changed instead
  of recounting every buyer of a touched group: the platform's year holds every buyer of the
  year, so recounting it made a daily run scan the whole year's orders.

  A buyer's rows in int_orders_by_scope change only when the buyer is in int_touched_buyers, and
  their rows before and after the run are orders_by_scope over fct_orders__before and
  fct_orders__after (fct_orders keeps those buyers' rows as they were and as it left them, see
  changed_rows.sql). So a group's count after the run is its stored count, plus the touched
  buyers' contributions after the run, less their contributions before it. Every count is a sum
  of 0/1 contributions per buyer (or per order), and every money sum a sum of exact decimals,
  so this equals a recount exactly.

  `contributions`: a query over `__ORDERS__ as orders` (rows of int_orders_by_scope) returning
  the `keys` columns, one 0/1 column per name in `counts` and one money column per name in
  `money_sums`, one row per buyer (or order) and group. It runs over every row on a full build;
  in an incremental run over the touched buyers' rows after the run and before it. Groups whose
  figures change are returned with the stored figures added; a group left with no buyer (or
  order) comes back with 0 and the model's post-hook `delete_where('buyers = 0')` (or
  `'orders = 0'`) removes it (no group without buyers has a row).
-#}
{% macro buyer_counts(contributions, keys, counts, money_sums=[]) -%}
    {%- set by_scope = ref('int_orders_by_scope') -%}
    {%- set fct_orders = ref('fct_orders') -%}  {#- outside the branch: dbt sees the dependency -#}
    {%- set key_list = keys | join(', ') -%}
    {%- set figures = counts + money_sums -%}
    {%- if is_incremental() -%}
        {%- set after_run -%}
            ({{ orders_by_scope(rows_after(fct_orders)) }})
        {%- endset %}
        {%- set before_run -%}
            ({{ orders_by_scope(rows_before(fct_orders)) }})
        {%- endset %}
    select
        {%- for key in keys %}
        changes.{{ key }},
        {%- endfor %}
        {%- for figure in figures %}
        {{ typed_figure(
            'coalesce(stored.' ~ figure ~ ', 0) + changes.' ~ figure, figure in money_sums
        ) }} as {{ figure }}{{ "," if not loop.last }}
        {%- endfor %}
    from (
        select
            {{ key_list }},
            {%- for figure in figures %}
            sum({{ figure }}) as {{ figure }}{{ "," if not loop.last }}
            {%- endfor %}
        from (
            select {{ key_list }}, {{ figures | join(', ') }}
            from ({{ contributions | replace('__ORDERS__', after_run) }}) as after_run
            union all
            select
                {{ key_list }},
                {%- for figure in figures %}
                -{{ figure }}{{ "," if not loop.last }}
                {%- endfor %}
            from ({{ contributions | replace('__ORDERS__', before_run) }}) as before_run
        ) as signed
        group by {{ key_list }}
    ) as changes
    left join {{ this }} as stored
        on
        {%- for key in keys %}
        stored.{{ key }} = changes.{{ key }}{{ " and" if not loop.last }}
        {%- endfor %}
    where
    {%- for figure in figures %}
        changes.{{ figure }} <> 0{{ " or" if not loop.last }}
    {%- endfor %}
    {%- else %}
    select
        {{ key_list }},
        {%- for figure in figures %}
        {{ typed_figure('sum(' ~ figure ~ ')', figure in money_sums) }}
            as {{ figure }}{{ "," if not loop.last }}
        {%- endfor %}
    from ({{ contributions | replace('__ORDERS__', by_scope) }}) as contributions
    group by {{ key_list }}
    {%- endif %}
{%- endmacro %}

{#- A figure of buyer_counts as stored: money, or a count as bigint. -#}
{% macro typed_figure(expression, is_money) -%}
    {{ money(expression) if is_money else 'cast(' ~ expression ~ ' as ' ~ dbt.type_bigint() ~ ')' }}
{%- endmacro %}

{#-
  A business identity that must hold on every row, e.g. `net_gmv = gmv - refund_amount`.
  Fails with the rows where the expression is false or NULL (NULL is a broken identity too,
  unless `where` excludes those rows).
-#}
{% test lcw_expression_is_true(model, expression, where=none) %}
select *
from {{ model }}
where not coalesce(({{ expression }}), false)
{%- if where %} and ({{ where }}){% endif %}
{% endtest %}

{#- A published rate equals numerator / denominator, and is NULL exactly when the denominator is 0. -#}
{% test lcw_rate_is_ratio(model, column_name, numerator, denominator) %}
select *
from {{ model }}
where
    ({{ denominator }} > 0 and (
        {{ column_name }} is null
        or abs({{ column_name }} - cast({{ numerator }} as double) / {{ denominator }}) > 1e-12
        or {{ column_name }} < 0 or {{ column_name }} > 1))
    or (coalesce({{ denominator }}, 0) = 0 and {{ column_name }} is not null)
{% endtest %}

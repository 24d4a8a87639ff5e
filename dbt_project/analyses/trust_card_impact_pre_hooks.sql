-- The pre-hooks of trust_card_impact, rendered as its full build runs them, one statement each.
-- Its counting happens in them (macros/trust_card_impact.sql), so benchmarks/lower_bound.py,
-- whose script is the models' compiled SQL, runs these just before the model's own statement.
-- dbt only compiles an analysis; it never runs one.
-- depends_on: {{ ref('trust_card_impact') }}
-- depends_on: {{ ref('int_trust_card_intervals') }}
-- depends_on: {{ ref('fct_orders') }}
-- depends_on: {{ ref('int_changed_paid_orders') }}
-- depends_on: {{ ref('int_changed_paid_span') }}
{%- if execute %}
{%- for hook in graph.nodes['model.live_commerce_warehouse.trust_card_impact'].config['pre-hook'] %}
{{ render(hook['sql']) }};
{%- endfor %}
{%- endif %}

{#-
  The project writes column types the DuckDB way (contracts' `data_type`, seeds' `column_types`).
  Spark spells some differently and has a single `timestamp` type, an instant shown in the
  session time zone (profile: Asia/Shanghai), which is what DuckDB's `timestamp with time zone`
  is. `lcw_spark_type` translates one type; the two macros below apply it where dbt-spark reads
  those types, so the yml files stay one for both engines.
-#}
{% macro lcw_spark_type(data_type) -%}
    {%- set spelled = data_type | trim | lower -%}
    {%- set translations = {
        'varchar': 'string',
        'text': 'string',
        'timestamptz': 'timestamp',
        'timestamp with time zone': 'timestamp',
        'hugeint': 'decimal(38, 0)',
    } -%}
    {{- translations.get(spelled, data_type) -}}
{%- endmacro %}


{#- The empty query whose schema a contract is checked against (dbt's contract check). -#}
{% macro spark__get_empty_schema_sql(columns) -%}
    {%- set translated = {} -%}
    {%- for name, column in columns.items() -%}
        {%- set copy = column.copy() -%}
        {%- if copy.get('data_type') -%}
            {%- do copy.update({'data_type': lcw_spark_type(copy['data_type'])}) -%}
        {%- endif -%}
        {%- do translated.update({name: copy}) -%}
    {%- endfor -%}
    {{ return(default__get_empty_schema_sql(translated)) }}
{%- endmacro %}


{#- A seed's table, with its `column_types` translated (dbt-spark's macro, types translated). -#}
{% macro spark__create_csv_table(model, agate_table) -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set sql -%}
        create table {{ this.render() }} (
            {%- for col_name in agate_table.column_names -%}
                {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
                {%- set type = lcw_spark_type(column_override.get(col_name, inferred_type)) -%}
                {{ adapter.quote_seed_column(col_name, model['config'].get('quote_columns')) }}
                {{ type }}{%- if not loop.last %}, {% endif -%}
            {%- endfor -%}
        )
        {{ file_format_clause() }}
        {{ partition_cols(label="partitioned by") }}
        {{ clustered_cols(label="clustered by") }}
        {{ location_clause() }}
        {{ comment_clause() }}
    {%- endset -%}
    {%- call statement('_') -%}{{ sql }}{%- endcall -%}
    {{ return(sql) }}
{%- endmacro %}

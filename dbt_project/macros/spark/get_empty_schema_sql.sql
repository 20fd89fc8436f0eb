{#
    The contract types of the marts on Spark, in place of dbt's check query. An
    enforced contract is checked by casting null to each column's data_type; the
    marts' YAML names the types BI tools see in the DuckDB snapshot, and two of them
    are spelled differently in Spark SQL: `varchar` is `string` there (Spark wants a
    length for varchar), and `timestamp with time zone` is Spark's `timestamp`, which
    is an instant shown in the session's time zone (TIMESTAMP_LTZ), the same type.
    Every other contract type (bigint, double, decimal(18, 2), date, boolean) is
    spelled alike on both engines.
#}
{% macro spark__get_empty_schema_sql(columns) -%}
    {%- set spelled_on_spark = {'varchar': 'string', 'timestamp with time zone': 'timestamp'} -%}
    {%- set spark_columns = {} -%}
    {%- for name in columns -%}
        {%- set column = {} -%}
        {%- do column.update(columns[name]) -%}
        {%- if column.get('data_type') is string -%}
            {%- set contract_type = column['data_type'] | trim | lower -%}
            {%- do column.update({'data_type': spelled_on_spark.get(contract_type, column['data_type'])}) -%}
        {%- endif -%}
        {%- do spark_columns.update({name: column}) -%}
    {%- endfor -%}
    {{ dbt.default__get_empty_schema_sql(spark_columns) }}
{%- endmacro %}

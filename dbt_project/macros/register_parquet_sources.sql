{#
    The Spark engine's sources: (re-)create each table over its Parquet folder, so
    source('raw', 'mentions') is the Spark table raw.mentions. `tables` is a list of
    {schema, name, columns: [[name, spark type], ...], partition_column, location},
    made from warehouse/contract.py by assets/dbt/spark.py (parquet_sources), which
    also writes the folders; run it as
    `dbt run-operation register_parquet_sources --args '{tables: [...]}' --target spark`.
    Dropping an external table leaves its files; the months of a monthly table are
    read from its folders (recover partitions), so the same call also picks up a
    month exported since.
#}
{% macro register_parquet_sources(tables) -%}
    {{ return(adapter.dispatch('register_parquet_sources', 'webcare_warehouse')(tables)) }}
{%- endmacro %}

{% macro default__register_parquet_sources(tables) -%}
    {{ exceptions.raise_compiler_error(
        "register_parquet_sources is for the spark target; on " ~ target.type ~ " the sources are the warehouse's own tables"
    ) }}
{%- endmacro %}

{% macro spark__register_parquet_sources(tables) -%}
    {%- for table in tables -%}
        {%- set relation = table['schema'] ~ '.' ~ table['name'] -%}
        {%- set columns = [] -%}
        {%- for column in table['columns'] -%}
            {%- do columns.append('`' ~ column[0] ~ '` ' ~ column[1]) -%}
        {%- endfor -%}
        {%- do run_query('create schema if not exists ' ~ table['schema']) -%}
        {%- do run_query('drop table if exists ' ~ relation) -%}
        {%- set create -%}
            create table {{ relation }} ({{ columns | join(', ') }})
            using parquet
            {% if table['partition_column'] -%}
                partitioned by (`{{ table['partition_column'] }}`)
            {%- endif %}
            location '{{ table['location'] }}'
        {%- endset -%}
        {%- do run_query(create) -%}
        {%- if table['partition_column'] -%}
            {%- do run_query('alter table ' ~ relation ~ ' recover partitions') -%}
        {%- endif -%}
        {{ log('registered ' ~ relation ~ ' over ' ~ table['location'], info=true) }}
    {%- endfor -%}
{%- endmacro %}

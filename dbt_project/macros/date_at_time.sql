{# The timestamp at a time of day on a date (both local; no time-zone conversion). #}
{% macro date_at_time(date_expression, time_expression) -%}
    {{ return(adapter.dispatch('date_at_time', 'webcare_warehouse')(date_expression, time_expression)) }}
{%- endmacro %}

{% macro default__date_at_time(date_expression, time_expression) -%}
    (cast({{ date_expression }} as {{ dbt.type_timestamp() }}) + cast({{ time_expression }} as interval))
{%- endmacro %}

{% macro duckdb__date_at_time(date_expression, time_expression) -%}
    ({{ date_expression }} + {{ time_expression }})
{%- endmacro %}

{#- Spark has no TIME columns: the Parquet export hands times over as 'HH:MM:SS[.ffffff]' text. -#}
{% macro spark__date_at_time(date_expression, time_expression) -%}
    cast(concat(cast({{ date_expression }} as string), ' ', cast({{ time_expression }} as string)) as timestamp)
{%- endmacro %}

{#
    A top-level boolean field of a JSON object column (the raw `extra` column),
    null when the field is absent or not a boolean.
#}
{% macro json_extract_boolean(json_column, field_name) -%}
    {{ return(adapter.dispatch('json_extract_boolean', 'webcare_warehouse')(json_column, field_name)) }}
{%- endmacro %}

{% macro default__json_extract_boolean(json_column, field_name) -%}
    cast(({{ json_column }} ->> '{{ field_name }}') as boolean)
{%- endmacro %}

{% macro duckdb__json_extract_boolean(json_column, field_name) -%}
    try_cast(json_extract_string({{ json_column }}, '$.{{ field_name }}') as boolean)
{%- endmacro %}

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

{#- The strings DuckDB's try_cast reads as a boolean (any case, no blanks); Spark's cast would trim. -#}
{% macro spark__json_extract_boolean(json_column, field_name) -%}
    case
        when lower(get_json_object({{ json_column }}, '$.{{ field_name }}')) in ('true', 't', 'yes', 'y', '1') then true
        when lower(get_json_object({{ json_column }}, '$.{{ field_name }}')) in ('false', 'f', 'no', 'n', '0') then false
    end
{%- endmacro %}

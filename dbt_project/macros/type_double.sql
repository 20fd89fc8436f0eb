{#
    A 64-bit floating point type. dbt.type_float() renders `float`, which is only
    32 bits in DuckDB, too coarse for correlations and shares.
#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'webcare_warehouse')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro duckdb__type_double() -%}
    double
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}

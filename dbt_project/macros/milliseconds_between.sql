{#
    Whole milliseconds from one timestamp to another: the difference of the two
    timestamps' millisecond counts, each rounded down (dbt.datediff's millisecond
    boundaries, as DuckDB counts them).
#}
{% macro milliseconds_between(start_timestamp, end_timestamp) -%}
    {{ return(adapter.dispatch('milliseconds_between', 'webcare_warehouse')(start_timestamp, end_timestamp)) }}
{%- endmacro %}

{% macro default__milliseconds_between(start_timestamp, end_timestamp) -%}
    {{ dbt.datediff(start_timestamp, end_timestamp, 'millisecond') }}
{%- endmacro %}

{#- dbt-spark's datediff counts whole seconds and adds the milliseconds of the clock
    reading, by way of a float division; unix_millis is exact (and rounds down). -#}
{% macro spark__milliseconds_between(start_timestamp, end_timestamp) -%}
    (unix_millis({{ end_timestamp }}) - unix_millis({{ start_timestamp }}))
{%- endmacro %}

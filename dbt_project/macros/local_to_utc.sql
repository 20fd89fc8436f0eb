{#
    Naive UTC timestamp of a wall-clock time in `timezone` (an IANA name, literal or
    column); each value is converted with the offset in force at that moment, so
    opening windows stay correct across DST changes.
#}
{% macro local_to_utc(timestamp_expression, timezone) -%}
    {{ return(adapter.dispatch('local_to_utc', 'webcare_warehouse')(timestamp_expression, timezone)) }}
{%- endmacro %}

{% macro default__local_to_utc(timestamp_expression, timezone) -%}
    cast((({{ timestamp_expression }}) at time zone {{ timezone }}) at time zone 'UTC' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro duckdb__local_to_utc(timestamp_expression, timezone) -%}
    timezone('UTC', timezone({{ timezone }}, {{ timestamp_expression }}))
{%- endmacro %}

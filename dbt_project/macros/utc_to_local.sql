{#
    Wall-clock time in `timezone` (an IANA name, literal or column) of a naive UTC
    timestamp. DST is handled by the engine's time-zone database.
#}
{% macro utc_to_local(timestamp_expression, timezone) -%}
    {{ return(adapter.dispatch('utc_to_local', 'webcare_warehouse')(timestamp_expression, timezone)) }}
{%- endmacro %}

{% macro default__utc_to_local(timestamp_expression, timezone) -%}
    cast((({{ timestamp_expression }}) at time zone 'UTC') at time zone {{ timezone }} as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro duckdb__utc_to_local(timestamp_expression, timezone) -%}
    timezone({{ timezone }}, timezone('UTC', {{ timestamp_expression }}))
{%- endmacro %}

{% macro spark__utc_to_local(timestamp_expression, timezone) -%}
    from_utc_timestamp({{ timestamp_expression }}, {{ timezone }})
{%- endmacro %}

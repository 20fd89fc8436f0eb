{#
    KPI_DEFINITIONS.md: a month is the calendar month in var('reporting_timezone')
    of a UTC timestamp. Returns the first day of that month as a date.
#}
{% macro to_reporting_month(timestamp_expression) -%}
    {{ return(adapter.dispatch('to_reporting_month', 'webcare_warehouse')(timestamp_expression)) }}
{%- endmacro %}

{% macro default__to_reporting_month(timestamp_expression) -%}
    cast({{ dbt.date_trunc('month', webcare_warehouse.utc_to_local(timestamp_expression, dbt.string_literal(var('reporting_timezone')))) }} as date)
{%- endmacro %}

{% macro duckdb__to_reporting_month(timestamp_expression) -%}
    cast(date_trunc('month', {{ webcare_warehouse.utc_to_local(timestamp_expression, dbt.string_literal(var('reporting_timezone'))) }}) as date)
{%- endmacro %}

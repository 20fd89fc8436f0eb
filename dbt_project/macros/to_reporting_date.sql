{#
    Calendar date in var('reporting_timezone') of a UTC timestamp (the day of the
    spike alerts, consistent with to_reporting_month).
#}
{% macro to_reporting_date(timestamp_expression) -%}
    cast({{ webcare_warehouse.utc_to_local(timestamp_expression, dbt.string_literal(var('reporting_timezone'))) }} as date)
{%- endmacro %}

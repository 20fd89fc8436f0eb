{#
    Elapsed minutes (fractional, millisecond precision) from one timestamp to a
    later one. Divided as a double: a decimal literal would make Spark divide in
    decimals, rounded to a few places.
#}
{% macro minutes_between(start_timestamp, end_timestamp) -%}
    (cast({{ webcare_warehouse.milliseconds_between(start_timestamp, end_timestamp) }} as {{ webcare_warehouse.type_double() }}) / 60000)
{%- endmacro %}

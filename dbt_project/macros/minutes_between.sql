{#
    Elapsed minutes (fractional, millisecond precision) from one timestamp to a
    later one, built on the cross-database dbt.datediff.
#}
{% macro minutes_between(start_timestamp, end_timestamp) -%}
    ({{ dbt.datediff(start_timestamp, end_timestamp, 'millisecond') }} / 60000.0)
{%- endmacro %}

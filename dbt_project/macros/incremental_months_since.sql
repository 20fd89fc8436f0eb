{#
    The rows a month-incremental model needs from a UTC timestamp column, on a run
    that rebuilds from a month F (incremental_months.sql): those
    at or after the first of F, 00:00 UTC, less one day, and those without a time.
    A time in F or later in the reporting time zone (or any other: no offset from
    UTC reaches a day) is never earlier, so the rows of the rebuilt months and
    whatever follows them are all kept; the model's own month filter then keeps
    exactly the rebuilt months. Renders `true` when every month is built.
#}
{% macro incremental_months_since(timestamp_column) -%}
    {%- set first = webcare_warehouse.rebuild_from_month() -%}
    {%- if first is none -%}
        true
    {%- else -%}
        ({{ timestamp_column }} >= {{ dbt.dateadd('day', -1, "cast('" ~ first ~ "' as " ~ dbt.type_timestamp() ~ ")") | trim }}
        or {{ timestamp_column }} is null)
    {%- endif -%}
{%- endmacro %}

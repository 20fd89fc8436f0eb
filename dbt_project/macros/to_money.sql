{#
    An amount of money as the marts publish it: decimal(18, 2), rounded half away
    from zero on the amount as written (12.345 -> 12.35). A double goes through
    decimal(38, 10) first: cast straight to two places, DuckDB rounds on the binary
    value (12.345 is 12.3449999... there, so 12.34) while Spark rounds on the
    written one, and the two engines would disagree by a cent.
#}
{% macro to_money(expression) -%}
    cast(cast({{ expression }} as decimal(38, 10)) as decimal(18, 2))
{%- endmacro %}

{#
    numerator / denominator as a float, null when the denominator is 0 or null:
    KPI_DEFINITIONS.md leaves ratios of empty groups undefined rather than 0.
#}
{% macro safe_divide(numerator, denominator) -%}
    (cast({{ numerator }} as {{ webcare_warehouse.type_double() }}) / nullif({{ denominator }}, 0))
{%- endmacro %}

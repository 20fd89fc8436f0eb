{#
    Primary-key test for composite keys: no two rows share the same values of
    `combination_of_columns` (dbt_utils is unavailable offline).
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
{%- set columns = combination_of_columns | join(', ') -%}
with grouped as (
    select
        {{ columns }},
        count(*) as duplicate_rows
    from {{ model }}
    group by {{ columns }}
)

select *
from grouped
where duplicate_rows > 1
{% endtest %}

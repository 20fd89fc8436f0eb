{# 'YYYY-MM' of a first-of-month date: the key of the Dagster monthly partition. #}
{% macro month_key(month_date) -%}
    {{ dbt.concat([
        "cast(extract(year from " ~ month_date ~ ") as " ~ dbt.type_string() ~ ")",
        "'-'",
        "lpad(cast(extract(month from " ~ month_date ~ ") as " ~ dbt.type_string() ~ "), 2, '0')",
    ]) }}
{%- endmacro %}

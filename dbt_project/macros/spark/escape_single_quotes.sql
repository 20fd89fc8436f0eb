{#
    dbt.escape_single_quotes on Spark, in place of dbt-spark's, which escapes quotes
    but not backslashes: in a Spark string literal `\s` reads as `s`, so a regular
    expression in a var (personalisation_signature_pattern) lost its classes.
#}
{% macro spark__escape_single_quotes(expression) -%}
    {{ expression | replace("\\", "\\\\") | replace("'", "\\'") }}
{%- endmacro %}

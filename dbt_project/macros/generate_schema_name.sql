{#
    Custom schema names are used as they are (staging, intermediate, marts), not
    prefixed with the target schema, so BI tools and the Python assets can rely on
    fixed names such as marts.fct_sentiment_monthly.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}

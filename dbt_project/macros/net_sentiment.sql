{#
    Net sentiment per var('net_sentiment_formula') (KPI_DEFINITIONS.md section 1):
    polar (default): (positive - negative) / (positive + negative), null when both are 0;
    all:             (positive - negative) / mentions, null when there are no mentions.
#}
{% macro net_sentiment(positive, negative, mentions) -%}
    {%- set formula = var('net_sentiment_formula') -%}
    {%- if formula == 'polar' -%}
        {{ webcare_warehouse.safe_divide('(' ~ positive ~ ') - (' ~ negative ~ ')', '(' ~ positive ~ ') + (' ~ negative ~ ')') }}
    {%- elif formula == 'all' -%}
        {{ webcare_warehouse.safe_divide('(' ~ positive ~ ') - (' ~ negative ~ ')', mentions) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("var net_sentiment_formula must be 'polar' or 'all', got '" ~ formula ~ "'") }}
    {%- endif -%}
{%- endmacro %}

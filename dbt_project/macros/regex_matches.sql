{# True when a string matches a regular expression anywhere (RE2/POSIX-style pattern). #}
{% macro regex_matches(string_expression, pattern_expression) -%}
    {{ return(adapter.dispatch('regex_matches', 'webcare_warehouse')(string_expression, pattern_expression)) }}
{%- endmacro %}

{% macro default__regex_matches(string_expression, pattern_expression) -%}
    ({{ string_expression }} ~ {{ pattern_expression }})
{%- endmacro %}

{% macro duckdb__regex_matches(string_expression, pattern_expression) -%}
    regexp_matches({{ string_expression }}, {{ pattern_expression }})
{%- endmacro %}

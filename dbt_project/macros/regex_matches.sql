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

{#-
    Java regular expressions. The patterns of this project (the signature var, the
    handle boundaries) use only what RE2 and Java read alike: classes, (?i:...),
    bounded repetition, ^ and $ without multiline mode (Java's $ also matches before a
    final line break, which the patterns' trailing \s* or [^a-z0-9_] match anyway), and
    \s (Java's also matches a vertical tab).
-#}
{% macro spark__regex_matches(string_expression, pattern_expression) -%}
    regexp_like({{ string_expression }}, {{ pattern_expression }})
{%- endmacro %}

{#
    One row per match of a regular expression in a string, holding the match's
    capture group `group_index` (1 for the first): a set-returning expression for a
    select list. A string without a match, or null, gives no row. Matches do not
    overlap and `^` anchors at the start of the string only, on every engine.
#}
{% macro regex_extract_each(string_expression, pattern_expression, group_index) -%}
    {{ return(adapter.dispatch('regex_extract_each', 'webcare_warehouse')(string_expression, pattern_expression, group_index)) }}
{%- endmacro %}

{#- PostgreSQL-style: regexp_matches with the g flag is itself set-returning. -#}
{% macro default__regex_extract_each(string_expression, pattern_expression, group_index) -%}
    (regexp_matches({{ string_expression }}, {{ pattern_expression }}, 'g'))[{{ group_index }}]
{%- endmacro %}

{% macro duckdb__regex_extract_each(string_expression, pattern_expression, group_index) -%}
    unnest(regexp_extract_all({{ string_expression }}, {{ pattern_expression }}, {{ group_index }}))
{%- endmacro %}

{#- Java regular expressions; the patterns passed here use only what RE2 and Java read alike. -#}
{% macro spark__regex_extract_each(string_expression, pattern_expression, group_index) -%}
    explode(regexp_extract_all({{ string_expression }}, {{ pattern_expression }}, {{ group_index }}))
{%- endmacro %}

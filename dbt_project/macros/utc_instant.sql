{#
    A naive UTC timestamp (how the warehouse stores every `_at` column) as the
    instant it is, the contract type `timestamp with time zone` of the marts: BI
    tools then show it in their own time zone instead of reading UTC as local time.
    DuckDB's timezone('UTC', ts) reads the value as UTC whatever the session's
    TimeZone; a plain cast would read it in the session's zone. Spark's timestamp is
    already an instant (the session runs in UTC), so it stays as it is.
#}
{% macro utc_instant(timestamp_expression) -%}
    {{ return(adapter.dispatch('utc_instant', 'webcare_warehouse')(timestamp_expression)) }}
{%- endmacro %}

{% macro default__utc_instant(timestamp_expression) -%}
    ({{ timestamp_expression }}) at time zone 'UTC'
{%- endmacro %}

{% macro duckdb__utc_instant(timestamp_expression) -%}
    timezone('UTC', {{ timestamp_expression }})
{%- endmacro %}

{% macro spark__utc_instant(timestamp_expression) -%}
    {{ timestamp_expression }}
{%- endmacro %}

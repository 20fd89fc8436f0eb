{#
    Naive UTC timestamp of a wall-clock time in `timezone` (an IANA name, literal or
    column); each value is converted with the offset in force at that moment, so
    opening windows stay correct across DST changes.
#}
{% macro local_to_utc(timestamp_expression, timezone) -%}
    {{ return(adapter.dispatch('local_to_utc', 'webcare_warehouse')(timestamp_expression, timezone)) }}
{%- endmacro %}

{% macro default__local_to_utc(timestamp_expression, timezone) -%}
    cast((({{ timestamp_expression }}) at time zone {{ timezone }}) at time zone 'UTC' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro duckdb__local_to_utc(timestamp_expression, timezone) -%}
    timezone('UTC', timezone({{ timezone }}, {{ timestamp_expression }}))
{%- endmacro %}

{#-
    A wall-clock time repeated when DST ends (02:30 on the last Sunday of October in
    Amsterdam) has two instants: to_utc_timestamp takes the earlier, DuckDB (ICU) the
    later, after the change. The later one is the time less the offset in force a few
    hours on; it is taken when it reads back as the same wall-clock time. Times skipped
    when DST starts move forward by the gap in both engines.
-#}
{% macro spark__local_to_utc(timestamp_expression, timezone) -%}
    {%- set earlier = 'to_utc_timestamp(' ~ timestamp_expression ~ ', ' ~ timezone ~ ')' -%}
    {%- set probe = 'timestampadd(hour, 6, ' ~ earlier ~ ')' -%}
    {%- set later = '(' ~ timestamp_expression ~ ' - (from_utc_timestamp(' ~ probe ~ ', ' ~ timezone ~ ') - ' ~ probe ~ '))' -%}
    case
        when from_utc_timestamp({{ later }}, {{ timezone }}) = {{ timestamp_expression }} then {{ later }}
        else {{ earlier }}
    end
{%- endmacro %}

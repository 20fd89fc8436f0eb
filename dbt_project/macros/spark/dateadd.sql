{#
    dbt.dateadd on Spark, in place of dbt-spark's: that one goes through whole Unix
    seconds (to_unix_timestamp), so it drops the fraction of a second and a window
    such as "within 30 days of the reply" ends up to a second early. timestampadd
    keeps microseconds; with the session in UTC a day is 24 hours, as in DuckDB's
    interval arithmetic on naive UTC timestamps. Months keep the day, clamped to
    the month's last (add_months), as in DuckDB.
#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    timestampadd({{ datepart }}, cast({{ interval }} as bigint), {{ from_date_or_timestamp }})
{%- endmacro %}

{#
    Every reporting month from the first to the last month that holds customer
    voice (mentions, complaints or NPS answers). Share prices are left out: price
    histories usually reach far beyond the monitored period.
#}
{%- set max_months = 1200 -%}
{%- set reporting_timezone = dbt.string_literal(var('reporting_timezone')) -%}
{%- set next_month = dbt.dateadd('month', 1, 'months.reporting_month') -%}

with activity_months as (
    -- the months of the mentions as int_mentions_enriched holds them: the same
    -- months, without deduplicating the raw mentions once more
    select reporting_month
    from {{ ref('int_mentions_enriched') }}
    union all
    select {{ to_reporting_month('received_at') }} as reporting_month
    from {{ ref('stg_raw__complaints') }}
    union all
    select {{ to_reporting_month('answered_at') }} as reporting_month
    from {{ ref('stg_raw__nps_responses') }}
),

bounds as (
    select
        min(reporting_month) as first_month,
        max(reporting_month) as last_month
    from activity_months
),

series as (
    {{ dbt.generate_series(max_months) }}
),

months as (
    select cast({{ dbt.dateadd('month', 'series.generated_number - 1', 'bounds.first_month') }} as date) as reporting_month
    from series
    cross join bounds
),

final as (
    select
        months.reporting_month,
        {{ month_key('months.reporting_month') }} as month_key,
        cast(extract(year from months.reporting_month) as integer) as calendar_year,
        cast(extract(month from months.reporting_month) as integer) as month_of_year,
        cast({{ dbt.dateadd('month', -1, 'months.reporting_month') }} as date) as previous_month,
        cast({{ next_month }} as date) as next_month,
        cast(extract(day from {{ dbt.last_day('months.reporting_month', 'month') }}) as integer) as days_in_month,
        {{ local_to_utc('cast(months.reporting_month as ' ~ dbt.type_timestamp() ~ ')', reporting_timezone) }}
            as month_start_at,
        {{ local_to_utc('cast(' ~ next_month ~ ' as ' ~ dbt.type_timestamp() ~ ')', reporting_timezone) }}
            as month_end_at
    from months
    cross join bounds
    where months.reporting_month <= bounds.last_month
)

select * from final

{#
    Every calendar date of the reporting months, plus a week of margin on both
    sides: opening windows of accounts in other time zones and replies that
    arrive after the last month still find their local day.
#}
{%- set max_days = 40000 -%}
{%- set margin_days = 7 -%}

with bounds as (
    select
        min(reporting_month) as first_month,
        max(next_month) as end_month
    from {{ ref('int_months') }}
),

series as (
    {{ dbt.generate_series(max_days) }}
),

days as (
    select
        cast({{ dbt.dateadd('day', 'series.generated_number - 1 - ' ~ margin_days, 'bounds.first_month') }} as date) as calendar_date,
        bounds.first_month,
        bounds.end_month
    from series
    cross join bounds
),

final as (
    select
        calendar_date,
        cast({{ dbt.date_trunc('month', 'calendar_date') }} as date) as calendar_month,
        {{ iso_weekday('calendar_date') }} as iso_weekday,
        calendar_date >= first_month and calendar_date < end_month as is_in_reporting_range
    from days
    where calendar_date < cast({{ dbt.dateadd('day', margin_days, 'end_month') }} as date)
)

select * from final

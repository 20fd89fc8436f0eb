{#
    The day-grain time spine MetricFlow requires (the `time_spine` config in
    _semantic__models.yml): every calendar day of the reporting months of
    dim_months, so its range follows the data. It lives in schema semantic, not
    marts: it is a helper of the semantic layer, not a published mart.
#}
{{ config(schema='semantic', materialized='table') }}

with months as (
    select
        reporting_month,
        days_in_month
    from {{ ref('dim_months') }}
),

day_numbers as (
    {{ dbt.generate_series(31) }}
),

final as (
    select cast({{ dbt.dateadd('day', 'day_numbers.generated_number - 1', 'months.reporting_month') }} as date) as date_day
    from months
    cross join day_numbers
    where day_numbers.generated_number <= months.days_in_month
)

select * from final

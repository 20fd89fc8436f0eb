with months as (
    select * from {{ ref('int_months') }}
),

final as (
    select
        reporting_month,
        month_key,
        calendar_year,
        month_of_year,
        previous_month,
        next_month,
        days_in_month,
        month_start_at,
        month_end_at
    from months
)

select * from final

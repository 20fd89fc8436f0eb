with months as (
    select * from {{ ref('int_months') }}
),

final as (
    select
        reporting_month,
        month_key,
        cast(calendar_year as {{ dbt.type_bigint() }}) as calendar_year,
        cast(month_of_year as {{ dbt.type_bigint() }}) as month_of_year,
        previous_month,
        next_month,
        cast(days_in_month as {{ dbt.type_bigint() }}) as days_in_month,
        {{ utc_instant('month_start_at') }} as month_start_at,
        {{ utc_instant('month_end_at') }} as month_end_at
    from months
)

select * from final

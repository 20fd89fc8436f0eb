{# The brand-month spine: every brand x every reporting month of the data range. #}
with brands as (
    select
        brand,
        sector
    from {{ ref('int_brands') }}
),

months as (
    select reporting_month
    from {{ ref('int_months') }}
),

final as (
    select
        brands.brand,
        months.reporting_month,
        brands.sector
    from brands
    cross join months
)

select * from final

with brands as (
    select * from {{ ref('int_brands') }}
),

accounts as (
    select
        brand,
        count(*) as webcare_accounts,
        {{ dbt.bool_or('has_expectations_management') }} as has_expectations_management
    from {{ ref('int_webcare_accounts') }}
    where brand is not null
    group by brand
),

final as (
    select
        brands.brand,
        brands.display_name,
        brands.sector,
        brands.country_code,
        brands.ticker,
        brands.ticker is not null as is_listed,
        brands.currency,
        brands.shares_outstanding,
        coalesce(accounts.webcare_accounts, 0) as webcare_accounts,
        coalesce(accounts.has_expectations_management, false) as has_expectations_management,
        brands.is_in_brand_reference
    from brands
    left join accounts
        on brands.brand = accounts.brand
)

select * from final

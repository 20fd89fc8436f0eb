{#
    Every brand the warehouse knows: the brand reference plus brands that only
    appear in the data (webcare accounts, mentions, complaints, NPS answers, e.g.
    support accounts of a real export), so nothing is dropped silently. Brands
    without a sector form the panel 'unassigned'.
#}
with reference as (
    select
        brand,
        display_name,
        sector,
        country_code,
        ticker,
        currency,
        shares_outstanding
    from {{ ref('stg_raw__brands') }}
),

observed as (
    select brand
    from {{ ref('stg_raw__webcare_accounts') }}
    union
    -- the loader's brand of every mention, read from the enriched table rather than
    -- deduplicating the raw mentions once more
    select loaded_brand as brand
    from {{ ref('int_mentions_enriched') }}
    union
    select brand
    from {{ ref('stg_raw__complaints') }}
    union
    select brand
    from {{ ref('stg_raw__nps_responses') }}
),

unreferenced as (
    select distinct observed.brand
    from observed
    left join reference
        on observed.brand = reference.brand
    where observed.brand is not null and reference.brand is null
),

final as (
    select
        brand,
        display_name,
        coalesce(sector, 'unassigned') as sector,
        country_code,
        ticker,
        currency,
        shares_outstanding,
        true as is_in_brand_reference
    from reference
    union all
    select
        brand,
        brand as display_name,
        'unassigned' as sector,
        cast(null as {{ dbt.type_string() }}) as country_code,
        cast(null as {{ dbt.type_string() }}) as ticker,
        cast(null as {{ dbt.type_string() }}) as currency,
        cast(null as {{ dbt.type_bigint() }}) as shares_outstanding,
        false as is_in_brand_reference
    from unreferenced
)

select * from final

{{ config(
    materialized='incremental',
    incremental_strategy=month_strategy(),
    month_column='reporting_month',
    partition_by=['reporting_month'],
) }}

with spine as (
    select
        brand,
        reporting_month,
        sector
    from {{ ref('int_brand_months') }}
),

author_negatives as (
    select
        brand,
        reporting_month,
        author_id,
        count(*) as negative_mentions
    from {{ ref('int_inbound_mentions') }}
    where is_negative
    group by
        brand,
        reporting_month,
        author_id
),

brand_counts as (
    select
        brand,
        reporting_month,
        cast(sum(negative_mentions) as {{ dbt.type_bigint() }}) as negative_mentions,
        {{ count_if('negative_mentions >= ' ~ var('repeat_complainer_min')) }} as repeat_complainers,
        cast(
            sum(case when negative_mentions >= {{ var('repeat_complainer_min') }} then negative_mentions else 0 end)
            as {{ dbt.type_bigint() }}
        ) as repeat_complainer_negative_mentions
    from author_negatives
    group by
        brand,
        reporting_month
),

final as (
    select
        spine.brand,
        spine.reporting_month,
        spine.sector,
        coalesce(brand_counts.negative_mentions, 0) as negative_mentions,
        coalesce(brand_counts.repeat_complainers, 0) as repeat_complainers,
        coalesce(brand_counts.repeat_complainer_negative_mentions, 0) as repeat_complainer_negative_mentions,
        {{ safe_divide('brand_counts.repeat_complainer_negative_mentions', 'brand_counts.negative_mentions') }}
            as share_of_negative_volume,
        cast({{ var('repeat_complainer_min') }} as {{ dbt.type_bigint() }}) as assumption_repeat_complainer_min
    from spine
    left join brand_counts
        on spine.brand = brand_counts.brand and spine.reporting_month = brand_counts.reporting_month
)

select * from final
where {{ incremental_months('reporting_month') }}

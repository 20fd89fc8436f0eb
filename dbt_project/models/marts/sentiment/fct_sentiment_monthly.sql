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

inbound as (
    select
        brand,
        reporting_month,
        sentiment_label,
        sentiment_score
    from {{ ref('int_inbound_mentions') }}
),

brand_counts as (
    select
        brand,
        reporting_month,
        count(*) as mentions,
        {{ count_if("sentiment_label is not null") }} as scored_mentions,
        {{ count_if("sentiment_label = 'positive'") }} as positive,
        {{ count_if("sentiment_label = 'neutral'") }} as neutral,
        {{ count_if("sentiment_label = 'negative'") }} as negative,
        avg(sentiment_score) as mean_sentiment_score
    from inbound
    group by
        brand,
        reporting_month
),

filled as (
    select
        spine.brand,
        spine.reporting_month,
        spine.sector,
        coalesce(brand_counts.mentions, 0) as mentions,
        coalesce(brand_counts.scored_mentions, 0) as scored_mentions,
        coalesce(brand_counts.positive, 0) as positive,
        coalesce(brand_counts.neutral, 0) as neutral,
        coalesce(brand_counts.negative, 0) as negative,
        brand_counts.mean_sentiment_score
    from spine
    left join brand_counts
        on spine.brand = brand_counts.brand and spine.reporting_month = brand_counts.reporting_month
),

prevalence as (
    select * from {{ ref('int_sentiment_prevalence') }}
),

sector_totals as (
    select
        sector,
        reporting_month,
        cast(sum(mentions) as {{ dbt.type_bigint() }}) as sector_mentions,
        cast(sum(negative) as {{ dbt.type_bigint() }}) as sector_negative
    from filled
    group by
        sector,
        reporting_month
),

final as (
    select
        filled.brand,
        filled.reporting_month,
        filled.sector,
        filled.mentions,
        filled.scored_mentions,
        filled.positive,
        filled.neutral,
        filled.negative,
        {{ safe_divide('filled.positive', 'filled.mentions') }} as share_positive,
        {{ safe_divide('filled.neutral', 'filled.mentions') }} as share_neutral,
        {{ safe_divide('filled.negative', 'filled.mentions') }} as share_negative,
        {{ net_sentiment('filled.positive', 'filled.negative', 'filled.mentions') }} as net_sentiment,
        '{{ var("net_sentiment_formula") }}' as net_sentiment_formula,
        filled.mean_sentiment_score,
        sector_totals.sector_mentions,
        {{ safe_divide('filled.mentions', 'sector_totals.sector_mentions') }} as share_of_voice,
        {{ safe_divide('filled.negative', 'sector_totals.sector_negative') }} as negative_share_of_voice,
        filled.mentions < {{ var('min_mentions_for_kpi') }} as is_low_volume,
        prevalence.share_negative_adjusted,
        prevalence.share_neutral_adjusted,
        prevalence.share_positive_adjusted,
        prevalence.share_negative_adjusted_lower_95,
        prevalence.share_negative_adjusted_upper_95,
        prevalence.share_neutral_adjusted_lower_95,
        prevalence.share_neutral_adjusted_upper_95,
        prevalence.share_positive_adjusted_lower_95,
        prevalence.share_positive_adjusted_upper_95,
        {{ net_sentiment('prevalence.share_positive_adjusted', 'prevalence.share_negative_adjusted', '1') }} as net_sentiment_adjusted,
        cast(prevalence.calibrated_messages as {{ dbt.type_bigint() }}) as calibrated_messages,
        prevalence.calibration_id as sentiment_calibration
    from filled
    inner join sector_totals
        on filled.sector = sector_totals.sector and filled.reporting_month = sector_totals.reporting_month
    left join prevalence
        on filled.brand = prevalence.brand and filled.reporting_month = prevalence.reporting_month
)

select * from final
where {{ incremental_months('reporting_month') }}

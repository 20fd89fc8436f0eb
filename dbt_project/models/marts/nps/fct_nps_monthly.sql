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

responses as (
    select * from {{ ref('int_nps_responses') }}
),

response_counts as (
    select
        brand,
        reporting_month,
        count(*) as responses,
        {{ count_if("nps_category = 'promoter'") }} as promoters,
        {{ count_if("nps_category = 'passive'") }} as passives,
        {{ count_if("nps_category = 'detractor'") }} as detractors,
        {{ count_if('comment_sentiment_score is not null') }} as scored_comments,
        avg(comment_sentiment_score) as mean_comment_sentiment_score
    from responses
    group by
        brand,
        reporting_month
),

shares as (
    select
        spine.brand,
        spine.reporting_month,
        spine.sector,
        coalesce(response_counts.responses, 0) as responses,
        coalesce(response_counts.promoters, 0) as promoters,
        coalesce(response_counts.passives, 0) as passives,
        coalesce(response_counts.detractors, 0) as detractors,
        {{ safe_divide('response_counts.promoters', 'response_counts.responses') }} as share_promoters,
        {{ safe_divide('response_counts.passives', 'response_counts.responses') }} as share_passives,
        {{ safe_divide('response_counts.detractors', 'response_counts.responses') }} as share_detractors,
        coalesce(response_counts.scored_comments, 0) as scored_comments,
        response_counts.mean_comment_sentiment_score
    from spine
    left join response_counts
        on spine.brand = response_counts.brand and spine.reporting_month = response_counts.reporting_month
),

final as (
    select
        brand,
        reporting_month,
        sector,
        responses,
        promoters,
        passives,
        detractors,
        share_promoters,
        share_passives,
        share_detractors,
        {{ safe_divide('100 * (promoters - detractors)', 'responses') }} as nps,
        -- greatest() absorbs rounding below zero when p + d = (p - d)^2 (all promoters or all detractors)
        1.96 * 100 * sqrt(
            greatest(
                0.0,
                share_promoters + share_detractors - (share_promoters - share_detractors) * (share_promoters - share_detractors)
            )
            / nullif(responses, 0)
        ) as nps_margin_of_error_95,
        responses < {{ var('min_nps_responses') }} as is_low_sample,
        scored_comments,
        mean_comment_sentiment_score
    from shares
)

select * from final
where {{ incremental_months('reporting_month') }}

with sentiment as (
    select
        brand,
        reporting_month,
        sector,
        mentions,
        net_sentiment,
        mean_sentiment_score,
        is_low_volume
    from {{ ref('fct_sentiment_monthly') }}
),

nps as (
    select
        brand,
        reporting_month,
        responses,
        nps,
        nps_margin_of_error_95,
        is_low_sample
    from {{ ref('fct_nps_monthly') }}
),

final as (
    select
        sentiment.brand,
        sentiment.reporting_month,
        sentiment.sector,
        sentiment.mentions,
        sentiment.net_sentiment,
        sentiment.mean_sentiment_score,
        sentiment.is_low_volume,
        nps.responses,
        nps.nps,
        nps.nps_margin_of_error_95,
        nps.is_low_sample,
        previous_sentiment.net_sentiment as previous_month_net_sentiment,
        previous_sentiment.mean_sentiment_score as previous_month_mean_sentiment_score,
        previous_sentiment.is_low_volume as is_previous_month_low_volume
    from sentiment
    inner join nps
        on sentiment.brand = nps.brand and sentiment.reporting_month = nps.reporting_month
    left join sentiment as previous_sentiment
        on
            sentiment.brand = previous_sentiment.brand
            and previous_sentiment.reporting_month = cast({{ dbt.dateadd('month', -1, 'sentiment.reporting_month') }} as date)
)

select * from final

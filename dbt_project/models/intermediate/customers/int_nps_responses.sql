{# NPS answers with their reporting month, NPS category and comment sentiment. #}
with responses as (
    select * from {{ ref('stg_raw__nps_responses') }}
),

comment_scores as (
    select
        response_id,
        sentiment_label,
        sentiment_score
    from {{ ref('stg_scores__nps_comment_sentiment') }}
),

final as (
    select
        responses.response_id,
        responses.brand,
        responses.answered_at,
        {{ to_reporting_month('responses.answered_at') }} as reporting_month,
        responses.nps_score,
        case
            when responses.nps_score >= 9 then 'promoter'
            when responses.nps_score >= 7 then 'passive'
            else 'detractor'
        end as nps_category,
        responses.respondent_id,
        responses.has_comment,
        comment_scores.sentiment_label as comment_sentiment_label,
        comment_scores.sentiment_score as comment_sentiment_score
    from responses
    left join comment_scores
        on responses.response_id = comment_scores.response_id
)

select * from final

{#
    Inbound messages (KPI_DEFINITIONS.md terms): mentions written by someone who
    is not a brand account, about a brand, with their sentiment.
#}
with mentions as (
    select * from {{ ref('int_mentions_enriched') }}
),

final as (
    select
        mention_key,
        platform,
        mention_id,
        brand,
        author_id,
        created_at,
        reporting_month,
        reporting_date,
        in_reply_to_key,
        is_reply_to_brand_account,
        replied_account_key,
        mention_text,
        deleted_at,
        sentiment_label,
        sentiment_score,
        sentiment_model_version,
        language_code,
        coalesce(sentiment_label = 'negative', false) as is_negative,
        coalesce(sentiment_label = 'positive', false) as is_positive
    from mentions
    where not is_brand_account and brand is not null
)

select * from final

with {{ latest_rows(
    'ranked', source('scores', 'mention_sentiment'),
    keys=['platform', 'mention_id'],
    order_by='scored_at desc, model_version desc',
    rank_column='score_rank'
) }},

final as (
    select
        {{ dbt.concat(["platform", "':'", "mention_id"]) }} as mention_key,
        platform,
        mention_id,
        lower(label) as sentiment_label,
        cast(p_negative as {{ type_double() }}) as p_negative,
        cast(p_neutral as {{ type_double() }}) as p_neutral,
        cast(p_positive as {{ type_double() }}) as p_positive,
        cast(score as {{ type_double() }}) as sentiment_score,
        model_version,
        text_hash,
        scored_at,
        partition_month
    from ranked
    where score_rank = 1
)

select * from final

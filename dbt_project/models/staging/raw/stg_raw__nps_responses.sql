with {{ latest_rows(
    'ranked', source('raw', 'nps_responses'),
    keys=['response_id'],
    order_by='_loaded_at desc, _source_file desc, _source_line desc',
    rank_column='load_rank'
) }},

final as (
    select
        response_id,
        brand,
        answered_at,
        cast(score as integer) as nps_score,
        respondent_id,
        coalesce(trim(comment), '') <> '' as has_comment,
        wave as survey_wave,
        partition_month,
        _source_file as source_file,
        _source_line as source_line,
        _loaded_at as loaded_at
    from ranked
    where load_rank = 1
)

select * from final

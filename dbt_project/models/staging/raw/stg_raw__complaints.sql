with {{ latest_rows(
    'ranked', source('raw', 'complaints'),
    keys=['complaint_id'],
    order_by='_loaded_at desc, _source_file desc, _source_line desc',
    rank_column='load_rank'
) }},

final as (
    select
        complaint_id,
        brand,
        received_at,
        lower(trim(channel)) as channel,
        category as complaint_category,
        customer_id,
        nullif(trim(social_handle), '') as social_author_id,
        resolved_at,
        is_timely_response,
        partition_month,
        _source_file as source_file,
        _source_line as source_line,
        _loaded_at as loaded_at
    from ranked
    where load_rank = 1
)

select * from final

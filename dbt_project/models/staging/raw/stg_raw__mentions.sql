with {{ latest_rows(
    'ranked', source('raw', 'mentions'),
    keys=['platform', 'mention_id'],
    order_by='_loaded_at desc, _source_file desc, _source_line desc',
    rank_column='load_rank'
) }},

final as (
    select
        {{ dbt.concat(["platform", "':'", "mention_id"]) }} as mention_key,
        platform,
        mention_id,
        created_at,
        author_id,
        is_brand_account,
        text as mention_text,
        nullif(trim(brand), '') as brand,
        nullif(trim(in_reply_to_id), '') as in_reply_to_id,
        case
            when nullif(trim(in_reply_to_id), '') is not null
                then {{ dbt.concat(["platform", "':'", "trim(in_reply_to_id)"]) }}
        end as in_reply_to_key,
        language as language_code,
        author_followers,
        url as mention_url,
        deleted_at,
        coalesce({{ json_extract_boolean('extra', 'is_automated') }}, false) as is_automated,
        partition_month,
        _source_file as source_file,
        _source_line as source_line,
        _loaded_at as loaded_at
    from ranked
    where load_rank = 1
)

select * from final

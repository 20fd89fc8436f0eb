with {{ latest_rows(
    'ranked', source('raw', 'webcare_accounts'),
    keys=['lower(platform)', 'lower(handle)'],
    order_by='_loaded_at desc, _source_file desc, _source_line desc',
    rank_column='load_rank'
) }},

final as (
    select
        {{ dbt.concat(["lower(platform)", "':'", "lower(handle)"]) }} as account_key,
        handle,
        platform,
        nullif(trim(brand), '') as brand,
        coalesce(is_bot, false) as is_bot,
        promised_response_minutes,
        nullif(trim(opening_hours), '') as opening_hours_text,
        nullif(trim(opening_hours), '') is not null as has_published_opening_hours,
        nullif(trim(timezone), '') as timezone,
        _source_file as source_file,
        _source_line as source_line,
        _loaded_at as loaded_at
    from ranked
    where load_rank = 1
)

select * from final

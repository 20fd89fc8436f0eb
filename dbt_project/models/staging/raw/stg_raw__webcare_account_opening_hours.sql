with {{ latest_rows(
    'ranked', source('raw', 'webcare_account_opening_hours'),
    keys=['lower(platform)', 'lower(handle)', 'weekday', 'opens_at'],
    order_by='_loaded_at desc, _source_file desc, _source_line desc',
    rank_column='load_rank'
) }},

final as (
    select
        {{ dbt.concat(["lower(platform)", "':'", "lower(handle)"]) }} as account_key,
        handle,
        platform,
        cast(weekday as integer) as iso_weekday,
        opens_at as opens_local_time,
        closes_at as closes_local_time,
        _source_file as source_file,
        _source_line as source_line,
        _loaded_at as loaded_at
    from ranked
    where load_rank = 1
)

select * from final

with {{ latest_rows(
    'ranked', source('raw', 'brands'),
    keys=['brand'],
    order_by='_loaded_at desc, _source_file desc, _source_line desc',
    rank_column='load_rank',
    where="nullif(trim(brand), '') is not null"
) }},

final as (
    select
        trim(brand) as brand,
        coalesce(nullif(trim(display_name), ''), trim(brand)) as display_name,
        nullif(trim(sector), '') as sector,
        country as country_code,
        nullif(upper(trim(ticker)), '') as ticker,
        currency,
        shares_outstanding,
        _source_file as source_file,
        _source_line as source_line,
        _loaded_at as loaded_at
    from ranked
    where load_rank = 1
)

select * from final

with {{ latest_rows(
    'ranked', source('raw', 'stock_prices'),
    keys=['ticker', 'date'],
    order_by='_loaded_at desc, _source_file desc, _source_line desc',
    rank_column='load_rank'
) }},

final as (
    select
        upper(trim(ticker)) as ticker,
        cast(date as date) as price_date,
        cast(open as {{ type_double() }}) as open_price,
        cast(high as {{ type_double() }}) as high_price,
        cast(low as {{ type_double() }}) as low_price,
        cast(close as {{ type_double() }}) as close_price,
        cast(adj_close as {{ type_double() }}) as adjusted_close_price,
        volume as traded_volume,
        currency,
        partition_month,
        _source_file as source_file,
        _source_line as source_line,
        _loaded_at as loaded_at
    from ranked
    where load_rank = 1
)

select * from final

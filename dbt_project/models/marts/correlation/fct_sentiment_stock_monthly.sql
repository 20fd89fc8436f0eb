with sentiment as (
    select
        brand,
        reporting_month,
        sector,
        mentions,
        net_sentiment,
        is_low_volume
    from {{ ref('fct_sentiment_monthly') }}
),

brands as (
    select
        brand,
        ticker,
        shares_outstanding
    from {{ ref('int_brands') }}
),

stock as (
    select * from {{ ref('int_stock_monthly') }}
),

final as (
    select
        sentiment.brand,
        sentiment.reporting_month,
        sentiment.sector,
        brands.ticker,
        brands.ticker is not null as is_listed,
        stock.currency,
        stock.month_end_date,
        stock.trading_days,
        {{ to_money('stock.month_end_close') }} as month_end_close,
        {{ to_money('stock.previous_month_end_close') }} as previous_month_end_close,
        stock.monthly_return,
        {{ to_money('stock.month_end_unadjusted_close') }} as month_end_unadjusted_close,
        brands.shares_outstanding,
        {{ to_money('stock.month_end_close * brands.shares_outstanding') }} as market_cap,
        sentiment.mentions,
        sentiment.net_sentiment,
        sentiment.is_low_volume,
        previous_sentiment.net_sentiment as previous_month_net_sentiment,
        previous_sentiment.is_low_volume as is_previous_month_low_volume,
        sentiment.net_sentiment - previous_sentiment.net_sentiment as net_sentiment_change
    from sentiment
    inner join brands
        on sentiment.brand = brands.brand
    left join stock
        on brands.ticker = stock.ticker and sentiment.reporting_month = stock.price_month
    left join sentiment as previous_sentiment
        on
            sentiment.brand = previous_sentiment.brand
            and previous_sentiment.reporting_month = cast({{ dbt.dateadd('month', -1, 'sentiment.reporting_month') }} as date)
)

select * from final

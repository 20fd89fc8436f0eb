{#
    Month-end share prices per ticker: the last trading day of each calendar
    month, its adjusted close (the close when the source has no adjusted close),
    which the KPIs call the month-end close, its unadjusted close, and the
    return against the previous calendar month's month-end close (null when that
    month has no prices).
#}
with prices as (
    select
        ticker,
        price_date,
        cast({{ dbt.date_trunc('month', 'price_date') }} as date) as price_month,
        close_price,
        coalesce(adjusted_close_price, close_price) as return_close_price,
        currency
    from {{ ref('stg_raw__stock_prices') }}
),

ranked as (
    select
        *,
        row_number() over (partition by ticker, price_month order by price_date desc) as day_rank,
        count(*) over (partition by ticker, price_month) as trading_days
    from prices
),

month_ends as (
    select
        ticker,
        price_month,
        price_date as month_end_date,
        trading_days,
        close_price as month_end_unadjusted_close,
        return_close_price as month_end_close,
        currency
    from ranked
    where day_rank = 1
),

final as (
    select
        month_ends.ticker,
        month_ends.price_month,
        month_ends.month_end_date,
        month_ends.trading_days,
        month_ends.month_end_close,
        month_ends.month_end_unadjusted_close,
        previous_month_ends.month_end_close as previous_month_end_close,
        month_ends.month_end_close / previous_month_ends.month_end_close - 1 as monthly_return,
        month_ends.currency
    from month_ends
    left join month_ends as previous_month_ends
        on
            month_ends.ticker = previous_month_ends.ticker
            and previous_month_ends.price_month = cast({{ dbt.dateadd('month', -1, 'month_ends.price_month') }} as date)
)

select * from final

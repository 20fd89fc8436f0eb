{#
    Sentiment and share price.
    time_series rows: per scope (all brands, or one sector) and lag (0: same month;
    1: sentiment one month before the return), the correlation across brand-months
    of monthly_return with net_sentiment and with its month-on-month change.
    cross_section rows: per reporting month, the correlation across brands of
    net_sentiment with market_cap (brands whose market cap is known).
    Low-volume sentiment months are left out (for a change, both months must
    have enough volume).
#}
with monthly as (
    select * from {{ ref('fct_sentiment_stock_monthly') }}
),

with_previous as (
    select
        monthly.brand,
        monthly.sector,
        monthly.reporting_month,
        monthly.monthly_return,
        monthly.market_cap,
        case when not monthly.is_low_volume then monthly.net_sentiment end as net_sentiment,
        case
            when not monthly.is_low_volume and not coalesce(monthly.is_previous_month_low_volume, true)
                then monthly.net_sentiment_change
        end as net_sentiment_change,
        case
            when not coalesce(monthly.is_previous_month_low_volume, true)
                then monthly.previous_month_net_sentiment
        end as previous_month_net_sentiment,
        case
            when not coalesce(previous.is_low_volume, true) and not coalesce(previous.is_previous_month_low_volume, true)
                then previous.net_sentiment_change
        end as previous_month_net_sentiment_change
    from monthly
    left join monthly as previous
        on
            monthly.brand = previous.brand
            and previous.reporting_month = cast({{ dbt.dateadd('month', -1, 'monthly.reporting_month') }} as date)
),

series_pairs as (
    select
        sector,
        'net_sentiment' as sentiment_measure,
        0 as lag_months,
        net_sentiment as sentiment_value,
        monthly_return as outcome_value
    from with_previous
    union all
    select
        sector,
        'net_sentiment' as sentiment_measure,
        1 as lag_months,
        previous_month_net_sentiment as sentiment_value,
        monthly_return as outcome_value
    from with_previous
    union all
    select
        sector,
        'net_sentiment_change' as sentiment_measure,
        0 as lag_months,
        net_sentiment_change as sentiment_value,
        monthly_return as outcome_value
    from with_previous
    union all
    select
        sector,
        'net_sentiment_change' as sentiment_measure,
        1 as lag_months,
        previous_month_net_sentiment_change as sentiment_value,
        monthly_return as outcome_value
    from with_previous
),

pairs as (
    select
        'time_series' as correlation_kind,
        sentiment_measure,
        'monthly_return' as outcome_measure,
        'all' as scope_type,
        'all' as scope,
        lag_months,
        cast(null as date) as reporting_month,
        sentiment_value,
        outcome_value
    from series_pairs
    union all
    select
        'time_series' as correlation_kind,
        sentiment_measure,
        'monthly_return' as outcome_measure,
        'sector' as scope_type,
        sector as scope,
        lag_months,
        cast(null as date) as reporting_month,
        sentiment_value,
        outcome_value
    from series_pairs
    union all
    select
        'cross_section' as correlation_kind,
        'net_sentiment' as sentiment_measure,
        'market_cap' as outcome_measure,
        'all' as scope_type,
        'all' as scope,
        0 as lag_months,
        reporting_month,
        net_sentiment as sentiment_value,
        market_cap as outcome_value
    from with_previous
),

{{ correlation_ctes(
    'pairs',
    ['correlation_kind', 'sentiment_measure', 'outcome_measure', 'scope_type', 'scope', 'lag_months', 'reporting_month'],
    'sentiment_value',
    'outcome_value'
) }},

{# Every expected row, also those without enough data (n = 0, null coefficients). #}
measures as (
    select 'net_sentiment' as sentiment_measure
    union all
    select 'net_sentiment_change' as sentiment_measure
),

lags as (
    select 0 as lag_months
    union all
    select 1 as lag_months
),

scopes as (
    {{ correlation_scopes('monthly') }}
),

series_keys as (
    select
        'time_series' as correlation_kind,
        measures.sentiment_measure,
        'monthly_return' as outcome_measure,
        scopes.scope_type,
        scopes.scope,
        lags.lag_months,
        cast(null as date) as reporting_month
    from measures
    cross join lags
    cross join scopes
),

cross_section_keys as (
    select distinct
        'cross_section' as correlation_kind,
        'net_sentiment' as sentiment_measure,
        'market_cap' as outcome_measure,
        'all' as scope_type,
        'all' as scope,
        0 as lag_months,
        reporting_month
    from monthly
),

correlation_keys as (
    select * from series_keys
    union all
    select * from cross_section_keys
),

final as (
    select
        {{ dbt.concat([
            "correlation_keys.correlation_kind", "'|'",
            "correlation_keys.sentiment_measure", "'|'",
            "correlation_keys.outcome_measure", "'|'",
            "correlation_keys.scope_type", "'|'",
            "correlation_keys.scope", "'|'",
            "cast(correlation_keys.lag_months as " ~ dbt.type_string() ~ ")", "'|'",
            "coalesce(cast(correlation_keys.reporting_month as " ~ dbt.type_string() ~ "), 'all months')",
        ]) }} as correlation_id,
        correlation_keys.correlation_kind,
        correlation_keys.sentiment_measure,
        correlation_keys.outcome_measure,
        correlation_keys.scope_type,
        correlation_keys.scope,
        cast(correlation_keys.lag_months as {{ dbt.type_bigint() }}) as lag_months,
        correlation_keys.reporting_month,
        coalesce(corr_stats.n_pairs, 0) as n_brand_months,
        corr_stats.pearson_r,
        corr_stats.spearman_rho,
        corr_stats.pearson_r_ci_lower_95,
        corr_stats.pearson_r_ci_upper_95
    from correlation_keys
    left join corr_stats
        on
            correlation_keys.correlation_kind = corr_stats.correlation_kind
            and correlation_keys.sentiment_measure = corr_stats.sentiment_measure
            and correlation_keys.scope_type = corr_stats.scope_type
            and correlation_keys.scope = corr_stats.scope
            and correlation_keys.lag_months = corr_stats.lag_months
            and correlation_keys.reporting_month is not distinct from corr_stats.reporting_month
)

select * from final

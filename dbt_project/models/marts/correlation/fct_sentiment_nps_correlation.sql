{#
    Correlation of net sentiment with NPS across brand-months, one row per scope
    (all brands, or one sector) and lag (0: same month; 1: sentiment of the month
    before the NPS month). Brand-months with low sentiment volume or a low NPS
    sample, or without either value, are left out.
#}
with monthly as (
    select * from {{ ref('fct_sentiment_nps_monthly') }}
),

lagged as (
    select
        brand,
        sector,
        reporting_month,
        0 as lag_months,
        net_sentiment as sentiment_value,
        nps
    from monthly
    where not is_low_volume and not is_low_sample
    union all
    select
        brand,
        sector,
        reporting_month,
        1 as lag_months,
        previous_month_net_sentiment as sentiment_value,
        nps
    from monthly
    where not coalesce(is_previous_month_low_volume, true) and not is_low_sample
),

pairs as (
    select
        'all' as scope_type,
        'all' as scope,
        lag_months,
        sentiment_value,
        nps
    from lagged
    union all
    select
        'sector' as scope_type,
        sector as scope,
        lag_months,
        sentiment_value,
        nps
    from lagged
),

{{ correlation_ctes('pairs', ['scope_type', 'scope', 'lag_months'], 'sentiment_value', 'nps') }},

scopes as (
    {{ correlation_scopes('monthly') }}
),

lags as (
    select 0 as lag_months
    union all
    select 1 as lag_months
),

final as (
    select
        scopes.scope_type,
        scopes.scope,
        cast(lags.lag_months as {{ dbt.type_bigint() }}) as lag_months,
        'net_sentiment' as sentiment_measure,
        'nps' as outcome_measure,
        coalesce(corr_stats.n_pairs, 0) as n_brand_months,
        corr_stats.pearson_r,
        corr_stats.spearman_rho,
        corr_stats.pearson_r_ci_lower_95,
        corr_stats.pearson_r_ci_upper_95
    from scopes
    cross join lags
    left join corr_stats
        on
            scopes.scope_type = corr_stats.scope_type
            and scopes.scope = corr_stats.scope
            and lags.lag_months = corr_stats.lag_months
)

select * from final

{#
    Headline KPIs of every brand-month beside the median of its sector (competitor
    panel) in that month and the brand's rank in the sector. Rank 1 is the best
    value: highest for net_sentiment, share_of_voice, response_rate, sla_attainment
    and nps; lowest for median_first_response_minutes and for
    complaint_to_online_ratio (fewest negative posts per traditional complaint).
    Brands without a value that month get no rank and do not count in the median.
#}
{{ config(
    materialized='incremental',
    incremental_strategy=month_strategy(),
    month_column='reporting_month',
    partition_by=['reporting_month'],
) }}

{%- set kpis = [
    {'name': 'net_sentiment', 'model': 'fct_sentiment_monthly', 'higher_is_better': true},
    {'name': 'share_of_voice', 'model': 'fct_sentiment_monthly', 'higher_is_better': true},
    {'name': 'median_first_response_minutes', 'model': 'fct_webcare_response_monthly', 'higher_is_better': false},
    {'name': 'response_rate', 'model': 'fct_webcare_response_monthly', 'higher_is_better': true},
    {'name': 'sla_attainment', 'model': 'fct_webcare_response_monthly', 'higher_is_better': true},
    {'name': 'nps', 'model': 'fct_nps_monthly', 'higher_is_better': true},
    {'name': 'complaint_to_online_ratio', 'model': 'fct_complaint_channels_monthly', 'higher_is_better': false},
] -%}

with sentiment as (
    select
        brand,
        reporting_month,
        sector,
        net_sentiment,
        share_of_voice,
        is_low_volume
    from {{ ref('fct_sentiment_monthly') }}
),

response as (
    select
        brand,
        reporting_month,
        median_first_response_minutes,
        response_rate,
        sla_attainment
    from {{ ref('fct_webcare_response_monthly') }}
),

nps as (
    select
        brand,
        reporting_month,
        nps,
        is_low_sample
    from {{ ref('fct_nps_monthly') }}
),

complaints as (
    select
        brand,
        reporting_month,
        complaint_to_online_ratio
    from {{ ref('fct_complaint_channels_monthly') }}
),

wide as (
    select
        sentiment.brand,
        sentiment.reporting_month,
        sentiment.sector,
        sentiment.is_low_volume,
        nps.is_low_sample,
        sentiment.net_sentiment,
        sentiment.share_of_voice,
        response.median_first_response_minutes,
        response.response_rate,
        response.sla_attainment,
        nps.nps,
        complaints.complaint_to_online_ratio
    from sentiment
    inner join response
        on sentiment.brand = response.brand and sentiment.reporting_month = response.reporting_month
    inner join nps
        on sentiment.brand = nps.brand and sentiment.reporting_month = nps.reporting_month
    inner join complaints
        on sentiment.brand = complaints.brand and sentiment.reporting_month = complaints.reporting_month
),

sector_sizes as (
    select
        sector,
        reporting_month,
        count(*) as sector_brands
    from wide
    group by
        sector,
        reporting_month
),

{# One row per brand-month and KPI, so medians and ranks are computed once for all KPIs. #}
kpi_values as (
    {% for kpi in kpis %}
        select
            brand,
            reporting_month,
            sector,
            '{{ kpi.name }}' as kpi_name,
            cast({{ kpi.name }} as {{ type_double() }}) as kpi_value,
            {{ 'true' if kpi.higher_is_better else 'false' }} as is_higher_better
        from wide
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

sector_medians as (
    select
        sector,
        reporting_month,
        kpi_name,
        {{ percentile_cont('kpi_value', 0.5) }} as sector_median
    from kpi_values
    group by
        sector,
        reporting_month,
        kpi_name
),

sector_ranks as (
    select
        brand,
        reporting_month,
        kpi_name,
        -- A bigint on both engines (Spark's rank() is an int).
        cast(rank() over (
            partition by sector, reporting_month, kpi_name
            order by case when is_higher_better then -kpi_value else kpi_value end
        ) as {{ dbt.type_bigint() }}) as sector_rank
    from kpi_values
    where kpi_value is not null
),

benchmarks as (
    select
        {% for kpi in kpis %}
            max(case when kpi_values.kpi_name = '{{ kpi.name }}' then sector_medians.sector_median end)
                as sector_median_{{ kpi.name }},
            max(case when kpi_values.kpi_name = '{{ kpi.name }}' then sector_ranks.sector_rank end)
                as sector_rank_{{ kpi.name }},
        {% endfor %}
        kpi_values.brand,
        kpi_values.reporting_month
    from kpi_values
    inner join sector_medians
        on
            kpi_values.sector = sector_medians.sector
            and kpi_values.reporting_month = sector_medians.reporting_month
            and kpi_values.kpi_name = sector_medians.kpi_name
    left join sector_ranks
        on
            kpi_values.brand = sector_ranks.brand
            and kpi_values.reporting_month = sector_ranks.reporting_month
            and kpi_values.kpi_name = sector_ranks.kpi_name
    group by
        kpi_values.brand,
        kpi_values.reporting_month
),

final as (
    select
        wide.brand,
        wide.reporting_month,
        wide.sector,
        sector_sizes.sector_brands,
        {% for kpi in kpis %}
            wide.{{ kpi.name }},
            benchmarks.sector_median_{{ kpi.name }},
            benchmarks.sector_rank_{{ kpi.name }},
        {% endfor %}
        wide.is_low_volume,
        wide.is_low_sample
    from wide
    inner join sector_sizes
        on wide.sector = sector_sizes.sector and wide.reporting_month = sector_sizes.reporting_month
    inner join benchmarks
        on wide.brand = benchmarks.brand and wide.reporting_month = benchmarks.reporting_month
)

select * from final
where {{ incremental_months('reporting_month') }}

{#
    Headline KPIs of every brand-month beside the median of its sector (competitor
    panel) in that month and the brand's rank in the sector. Rank 1 is the best
    value: highest for net_sentiment, share_of_voice, response_rate, sla_attainment
    and nps; lowest for median_first_response_minutes and for
    complaint_to_online_ratio (fewest negative posts per traditional complaint).
    Brands without a value that month get no rank and do not count in the median.
#}
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

{% for kpi in kpis %}
{{ kpi.name }}_medians as (
    select
        sector,
        reporting_month,
        {{ percentile_cont(kpi.name, 0.5) }} as sector_median
    from wide
    group by
        sector,
        reporting_month
),

{{ kpi.name }}_ranks as (
    select
        brand,
        reporting_month,
        rank() over (
            partition by sector, reporting_month
            order by {{ kpi.name }} {{ 'desc' if kpi.higher_is_better else 'asc' }}
        ) as sector_rank
    from wide
    where {{ kpi.name }} is not null
),

{% endfor %}
final as (
    select
        wide.brand,
        wide.reporting_month,
        wide.sector,
        sector_sizes.sector_brands,
        wide.is_low_volume,
        wide.is_low_sample,
        {% for kpi in kpis -%}
        wide.{{ kpi.name }},
        {{ kpi.name }}_medians.sector_median as sector_median_{{ kpi.name }},
        {{ kpi.name }}_ranks.sector_rank as sector_rank_{{ kpi.name }}{{ ',' if not loop.last }}
        {% endfor %}
    from wide
    inner join sector_sizes
        on wide.sector = sector_sizes.sector and wide.reporting_month = sector_sizes.reporting_month
    {% for kpi in kpis -%}
    inner join {{ kpi.name }}_medians
        on wide.sector = {{ kpi.name }}_medians.sector and wide.reporting_month = {{ kpi.name }}_medians.reporting_month
    left join {{ kpi.name }}_ranks
        on wide.brand = {{ kpi.name }}_ranks.brand and wide.reporting_month = {{ kpi.name }}_ranks.reporting_month
    {% endfor %}
)

select * from final

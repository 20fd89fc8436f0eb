{#
    One row per brand and reporting day (calendar day in var reporting_timezone).
    Alert when the day's negative inbound count exceeds the mean + var spike_sigma
    x sample standard deviation of the previous var spike_baseline_days days (days
    without negatives count as 0) and is at least var spike_min_count. Days whose
    baseline is not complete yet (the first spike_baseline_days of the data) never
    alert.
#}
{{ config(
    materialized='incremental',
    incremental_strategy=month_strategy(),
    month_column='reporting_month',
    partition_by=['reporting_month'],
) }}

{#- The previous spike_baseline_days days: the day spine has no gaps, so rows are days. -#}
{%- set baseline_window = 'partition by brand order by reporting_date rows between '
    ~ var('spike_baseline_days') ~ ' preceding and 1 preceding' -%}

with brands as (
    select distinct brand
    from {{ ref('int_brand_months') }}
),

days as (
    select
        calendar_date,
        calendar_month
    from {{ ref('int_calendar_days') }}
    where is_in_reporting_range
),

negatives as (
    select
        brand,
        reporting_date,
        count(*) as negative_mentions
    from {{ ref('int_inbound_mentions') }}
    where is_negative
    group by
        brand,
        reporting_date
),

daily as (
    select
        brands.brand,
        days.calendar_date as reporting_date,
        days.calendar_month as reporting_month,
        coalesce(negatives.negative_mentions, 0) as negative_mentions
    from brands
    cross join days
    left join negatives
        on brands.brand = negatives.brand and days.calendar_date = negatives.reporting_date
),

baselines as (
    select
        *,
        count(*) over ({{ baseline_window }}) as baseline_days,
        avg(cast(negative_mentions as {{ type_double() }})) over ({{ baseline_window }}) as baseline_mean,
        stddev_samp(cast(negative_mentions as {{ type_double() }})) over ({{ baseline_window }}) as baseline_stddev
    from daily
),

final as (
    select
        brand,
        reporting_date,
        reporting_month,
        negative_mentions,
        baseline_days,
        baseline_mean,
        baseline_stddev,
        baseline_mean + {{ var('spike_sigma') }} * baseline_stddev as alert_threshold,
        baseline_days = {{ var('spike_baseline_days') }}
        and negative_mentions > baseline_mean + {{ var('spike_sigma') }} * baseline_stddev
        and negative_mentions >= {{ var('spike_min_count') }} as is_alert,
        cast({{ var('spike_baseline_days') }} as {{ dbt.type_bigint() }}) as assumption_spike_baseline_days,
        cast({{ var('spike_sigma') }} as {{ type_double() }}) as assumption_spike_sigma,
        cast({{ var('spike_min_count') }} as {{ dbt.type_bigint() }}) as assumption_spike_min_count
    from baselines
)

select * from final
where {{ incremental_months('reporting_month') }}

{#
    Webcare response KPIs per brand and reporting month (KPI_DEFINITIONS.md
    section 2). Inbound counts and clocks use the month of the inbound message and
    count a message once per brand account it addresses (the brand is the
    account's). Reply counts use the month of the reply, the month its cost is
    incurred; personalisation is a share of the human (non-automated) replies.
#}
{{ config(
    materialized='incremental',
    incremental_strategy=month_strategy(),
    month_column='reporting_month',
    partition_by=['reporting_month'],
) }}

with spine as (
    select
        brand,
        reporting_month,
        sector
    from {{ ref('int_brand_months') }}
),

inbound as (
    select * from {{ ref('int_inbound_response_times') }}
),

replies as (
    select
        brand,
        reporting_month,
        is_automated_reply,
        is_personalised
    from {{ ref('int_brand_replies') }}
),

accounts as (
    select
        brand,
        {{ dbt.bool_or('has_expectations_management') }} as has_expectations_management,
        count(*) as webcare_accounts
    from {{ ref('int_webcare_accounts') }}
    where brand is not null
    group by brand
),

inbound_counts as (
    select
        brand,
        reporting_month,
        count(*) as inbound_messages,
        {{ count_if('is_answered') }} as answered_messages,
        {{ count_if('is_answered_within_window') }} as answered_within_window,
        {{ count_if('is_within_promise') }} as answered_within_promise,
        {{ count_if('is_answered_within_1h') }} as answered_within_1h,
        {{ count_if('is_answered_within_24h') }} as answered_within_24h,
        {{ percentile_cont('first_response_minutes', 0.5) }} as median_first_response_minutes,
        {{ percentile_cont('first_response_minutes', 0.9) }} as p90_first_response_minutes,
        {{ percentile_cont('first_response_business_minutes', 0.5) }} as median_first_response_business_minutes
    from inbound
    group by
        brand,
        reporting_month
),

reply_counts as (
    select
        brand,
        reporting_month,
        count(*) as brand_replies,
        {{ count_if('is_automated_reply') }} as automated_replies,
        {{ count_if('not is_automated_reply') }} as human_replies,
        {{ count_if('is_personalised') }} as personalised_replies
    from replies
    group by
        brand,
        reporting_month
),

final as (
    select
        spine.brand,
        spine.reporting_month,
        spine.sector,
        coalesce(inbound_counts.inbound_messages, 0) as inbound_messages,
        coalesce(inbound_counts.answered_messages, 0) as answered_messages,
        coalesce(inbound_counts.answered_within_window, 0) as answered_within_window,
        {{ safe_divide('inbound_counts.answered_within_window', 'inbound_counts.inbound_messages') }} as response_rate,
        inbound_counts.median_first_response_minutes,
        inbound_counts.p90_first_response_minutes,
        inbound_counts.median_first_response_business_minutes,
        coalesce(inbound_counts.answered_within_promise, 0) as answered_within_promise,
        {{ safe_divide('inbound_counts.answered_within_promise', 'inbound_counts.inbound_messages') }} as sla_attainment,
        {{ safe_divide('inbound_counts.answered_within_1h', 'inbound_counts.inbound_messages') }} as share_answered_within_1h,
        {{ safe_divide('inbound_counts.answered_within_24h', 'inbound_counts.inbound_messages') }} as share_answered_within_24h,
        coalesce(reply_counts.brand_replies, 0) as brand_replies,
        coalesce(reply_counts.automated_replies, 0) as automated_replies,
        coalesce(reply_counts.human_replies, 0) as human_replies,
        coalesce(reply_counts.personalised_replies, 0) as personalised_replies,
        {{ safe_divide('reply_counts.personalised_replies', 'reply_counts.human_replies') }} as personalisation_rate,
        coalesce(accounts.webcare_accounts, 0) as webcare_accounts,
        coalesce(accounts.has_expectations_management, false) as has_expectations_management,
        cast({{ var('response_window_hours') }} as {{ dbt.type_bigint() }}) as assumption_response_window_hours,
        cast({{ var('default_promise_minutes') }} as {{ dbt.type_bigint() }}) as assumption_default_promise_minutes
    from spine
    left join inbound_counts
        on spine.brand = inbound_counts.brand and spine.reporting_month = inbound_counts.reporting_month
    left join reply_counts
        on spine.brand = reply_counts.brand and spine.reporting_month = reply_counts.reporting_month
    left join accounts
        on spine.brand = accounts.brand
)

select * from final
where {{ incremental_months('reporting_month') }}

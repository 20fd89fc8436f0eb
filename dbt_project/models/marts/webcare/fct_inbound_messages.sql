{#
    Detail of the webcare response KPIs: one row per inbound message and brand
    account it addresses (a message addressing several accounts has a row for
    each), with the first response of the account's brand and its clocks.
#}
{{ config(
    materialized='incremental',
    incremental_strategy=month_strategy(),
    month_column='reporting_month',
    partition_by=['reporting_month'],
) }}

with response_times as (
    select * from {{ ref('int_inbound_response_times') }}
),

threads as (
    select
        mention_key,
        thread_key,
        thread_depth
    from {{ ref('int_message_threads') }}
),

accounts as (
    select
        account_key,
        handle,
        platform
    from {{ ref('int_webcare_accounts') }}
),

replies as (
    select
        reply_key,
        is_personalised
    from {{ ref('int_brand_replies') }}
),

final as (
    select
        response_times.mention_key,
        response_times.account_key,
        response_times.platform,
        response_times.mention_id,
        response_times.brand,
        response_times.mention_brand,
        response_times.author_id,
        {{ utc_instant('response_times.created_at') }} as created_at,
        response_times.reporting_month,
        response_times.sentiment_label,
        threads.thread_key,
        cast(threads.thread_depth as {{ dbt.type_bigint() }}) as thread_depth,
        accounts.handle as account_handle,
        response_times.addressed_via,
        response_times.first_response_key,
        {{ utc_instant('response_times.first_response_at') }} as first_response_at,
        response_times.is_answered,
        response_times.first_response_minutes,
        response_times.first_response_business_minutes,
        cast(response_times.promised_response_minutes as {{ dbt.type_bigint() }}) as promised_response_minutes,
        response_times.is_promise_default,
        response_times.is_promise_in_business_minutes,
        response_times.is_answered_within_window,
        response_times.is_answered_within_1h,
        response_times.is_answered_within_24h,
        response_times.is_within_promise,
        replies.is_personalised as is_first_response_personalised
    from response_times
    left join threads
        on response_times.mention_key = threads.mention_key
    left join accounts
        on response_times.account_key = accounts.account_key
    left join replies
        on response_times.first_response_key = replies.reply_key
)

select * from final
where {{ incremental_months('reporting_month') }}

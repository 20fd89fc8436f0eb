{#
    Response clocks of every (inbound message, addressed account) pair of
    int_inbound_first_responses:
    - first_response_minutes: calendar minutes to the first response;
    - first_response_business_minutes: the same interval counted only inside the
      addressed account's opening windows (a message that arrives after hours
      starts counting at the next opening); equal to calendar minutes for
      accounts open 24/7 (no opening-hour rows);
    - the account's promise (var default_promise_minutes when it publishes none),
      counted in business minutes when the account publishes opening hours, and
      whether the first response kept it (unanswered messages did not).
#}
{{ config(
    materialized='incremental',
    incremental_strategy=month_strategy(),
    month_column='reporting_month',
    partition_by=['reporting_month'],
) }}

with responses as (
    -- the rows of the rebuilt months: every row below is one of these
    select * from {{ ref('int_inbound_first_responses') }}
    where {{ incremental_months('reporting_month') }}
),

accounts as (
    select
        account_key,
        has_opening_hours,
        effective_promise_minutes,
        is_promise_default
    from {{ ref('int_webcare_accounts') }}
),

windows as (
    select
        account_key,
        opens_at,
        closes_at
    from {{ ref('int_account_opening_windows') }}
    -- the windows the rebuilt months' messages can meet: a window overlaps a response
    -- clock only when it closes after the message, and no message of those months is
    -- earlier than a day before their first
    where {{ incremental_months_since('closes_at') }}
),

business_overlaps as (
    select
        responses.mention_key,
        responses.account_key,
        -- Whole milliseconds summed, then made minutes: a sum of fractions would
        -- depend on the order a parallel aggregate adds them in. Divided as a double
        -- (a decimal literal would make Spark round the quotient to 7 places).
        cast(sum(
            {{ milliseconds_between(
                'greatest(responses.created_at, windows.opens_at)',
                'least(responses.first_response_at, windows.closes_at)'
            ) }}
        ) as {{ type_double() }}) / 60000 as business_minutes
    from responses
    inner join windows
        on
            responses.account_key = windows.account_key
            and responses.first_response_at > windows.opens_at
            and responses.created_at < windows.closes_at
    -- answered messages only, as the join asks anyway: said outright, it spares the
    -- unanswered ones the scan of their account's windows
    where responses.first_response_at is not null
    group by
        responses.mention_key,
        responses.account_key
),

clocked as (
    select
        responses.*,
        accounts.has_opening_hours,
        accounts.effective_promise_minutes,
        accounts.is_promise_default,
        {{ minutes_between('responses.created_at', 'responses.first_response_at') }} as first_response_minutes,
        case
            when responses.first_response_at is null then null
            when accounts.has_opening_hours then coalesce(business_overlaps.business_minutes, 0)
            else {{ minutes_between('responses.created_at', 'responses.first_response_at') }}
        end as first_response_business_minutes
    from responses
    inner join accounts
        on responses.account_key = accounts.account_key
    left join business_overlaps
        on
            responses.mention_key = business_overlaps.mention_key
            and responses.account_key = business_overlaps.account_key
),

final as (
    select
        mention_key,
        account_key,
        platform,
        mention_id,
        brand,
        mention_brand,
        author_id,
        created_at,
        reporting_month,
        sentiment_label,
        addressed_via,
        first_response_key,
        first_response_account_key,
        first_response_at,
        first_response_at is not null as is_answered,
        first_response_minutes,
        first_response_business_minutes,
        effective_promise_minutes as promised_response_minutes,
        is_promise_default,
        has_opening_hours as is_promise_in_business_minutes,
        coalesce(first_response_minutes <= {{ var('response_window_hours') }} * 60, false) as is_answered_within_window,
        coalesce(first_response_minutes <= 60, false) as is_answered_within_1h,
        coalesce(first_response_minutes <= 24 * 60, false) as is_answered_within_24h,
        coalesce(
            case
                when has_opening_hours then first_response_business_minutes
                else first_response_minutes
            end <= effective_promise_minutes,
            false
        ) as is_within_promise
    from clocked
)

select * from final

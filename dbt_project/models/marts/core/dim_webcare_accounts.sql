with accounts as (
    select * from {{ ref('int_webcare_accounts') }}
),

final as (
    select
        account_key,
        handle,
        platform,
        brand,
        is_bot,
        cast(promised_response_minutes as {{ dbt.type_bigint() }}) as promised_response_minutes,
        cast(effective_promise_minutes as {{ dbt.type_bigint() }}) as effective_promise_minutes,
        is_promise_default,
        opening_hours_text,
        opening_windows_per_week,
        has_opening_hours,
        timezone,
        is_timezone_default,
        has_expectations_management,
        is_in_account_reference
    from accounts
)

select * from final

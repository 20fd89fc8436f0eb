{#
    Every brand account: the webcare account reference plus accounts known only
    from the data (authors flagged is_brand_account that the reference lacks, as
    in the twcs export), with the effective response promise and whether the
    account counts business hours.
#}
with reference as (
    select
        account_key,
        handle,
        platform,
        brand,
        is_bot,
        promised_response_minutes,
        opening_hours_text,
        has_published_opening_hours,
        timezone
    from {{ ref('stg_raw__webcare_accounts') }}
),

observed_messages as (
    select
        {{ dbt.concat(["lower(platform)", "':'", "lower(author_id)"]) }} as account_key,
        author_id as handle,
        platform,
        brand,
        count(*) as messages
    from {{ ref('stg_raw__mentions') }}
    where is_brand_account and brand is not null
    group by
        {{ dbt.concat(["lower(platform)", "':'", "lower(author_id)"]) }},
        author_id,
        platform,
        brand
),

observed_ranked as (
    select
        *,
        row_number() over (
            partition by account_key
            order by messages desc, brand asc, handle asc
        ) as brand_rank
    from observed_messages
),

observed as (
    select
        observed_ranked.account_key,
        observed_ranked.handle,
        observed_ranked.platform,
        observed_ranked.brand,
        false as is_bot,
        cast(null as integer) as promised_response_minutes,
        cast(null as {{ dbt.type_string() }}) as opening_hours_text,
        false as has_published_opening_hours,
        cast(null as {{ dbt.type_string() }}) as timezone
    from observed_ranked
    left join reference
        on observed_ranked.account_key = reference.account_key
    where observed_ranked.brand_rank = 1 and reference.account_key is null
),

accounts as (
    select
        *,
        true as is_in_account_reference
    from reference
    union all
    select
        *,
        false as is_in_account_reference
    from observed
),

windows as (
    select
        account_key,
        count(*) as opening_windows_per_week
    from {{ ref('stg_raw__webcare_account_opening_hours') }}
    group by account_key
),

final as (
    select
        accounts.account_key,
        accounts.handle,
        accounts.platform,
        accounts.brand,
        accounts.is_bot,
        accounts.promised_response_minutes,
        coalesce(accounts.promised_response_minutes, {{ var('default_promise_minutes') }}) as effective_promise_minutes,
        accounts.promised_response_minutes is null as is_promise_default,
        accounts.opening_hours_text,
        coalesce(windows.opening_windows_per_week, 0) as opening_windows_per_week,
        coalesce(windows.opening_windows_per_week, 0) > 0 as has_opening_hours,
        coalesce(accounts.timezone, '{{ var("reporting_timezone") }}') as timezone,
        accounts.timezone is null as is_timezone_default,
        accounts.has_published_opening_hours or accounts.promised_response_minutes is not null as has_expectations_management,
        accounts.is_in_account_reference
    from accounts
    left join windows
        on accounts.account_key = windows.account_key
)

select * from final

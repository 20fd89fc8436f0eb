{#
    The opening windows of every account that publishes opening hours, one row per
    local calendar date and window, with both ends converted from the account's
    local time to UTC. Each end is converted with the offset in force at that
    moment, so a window keeps its local hours across DST changes.
#}
with opening_hours as (
    select
        account_key,
        iso_weekday,
        opens_local_time,
        closes_local_time
    from {{ ref('stg_raw__webcare_account_opening_hours') }}
),

accounts as (
    select
        account_key,
        timezone
    from {{ ref('int_webcare_accounts') }}
),

days as (
    select
        calendar_date,
        iso_weekday
    from {{ ref('int_calendar_days') }}
),

local_windows as (
    select
        opening_hours.account_key,
        accounts.timezone,
        days.calendar_date as local_date,
        opening_hours.opens_local_time,
        opening_hours.closes_local_time,
        {{ date_at_time('days.calendar_date', 'opening_hours.opens_local_time') }} as opens_local_at,
        {{ date_at_time('days.calendar_date', 'opening_hours.closes_local_time') }} as closes_local_at
    from opening_hours
    inner join accounts
        on opening_hours.account_key = accounts.account_key
    inner join days
        on opening_hours.iso_weekday = days.iso_weekday
),

final as (
    select
        account_key,
        local_date,
        opens_local_time,
        closes_local_time,
        timezone,
        {{ local_to_utc('opens_local_at', 'timezone') }} as opens_at,
        {{ local_to_utc('closes_local_at', 'timezone') }} as closes_at
    from local_windows
)

select * from final

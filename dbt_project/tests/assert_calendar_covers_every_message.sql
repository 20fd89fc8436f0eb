{#
    The day calendar (and so the opening windows and the spike series) must cover
    the local day of every message: a message outside it would lose its business
    minutes or its spike-alert day silently. Returns the uncovered messages.
#}
with mentions as (
    select
        mention_key,
        reporting_date
    from {{ ref('int_mentions_enriched') }}
),

days as (
    select calendar_date
    from {{ ref('int_calendar_days') }}
    where is_in_reporting_range
),

final as (
    select mentions.*
    from mentions
    left join days
        on mentions.reporting_date = days.calendar_date
    where days.calendar_date is null
)

select * from final

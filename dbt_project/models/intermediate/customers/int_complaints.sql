{#
    Complaints with their reporting month (of received_at), their channel group
    and resolution time. Complaints registered through the social channel are
    not traditional: they are the online side of the comparison.
#}
with complaints as (
    select * from {{ ref('stg_raw__complaints') }}
),

final as (
    select
        complaint_id,
        brand,
        received_at,
        {{ to_reporting_month('received_at') }} as reporting_month,
        channel,
        case
            when channel in ('phone', 'email', 'letter', 'webform', 'store', 'social') then channel
            else 'other'
        end as channel_group,
        coalesce(channel <> 'social', true) as is_traditional,
        customer_id,
        social_author_id,
        resolved_at,
        {{ minutes_between('received_at', 'resolved_at') }} / 60.0 as resolution_hours,
        is_timely_response
    from complaints
)

select * from final

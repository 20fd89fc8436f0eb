{#
    Channel escalation per traditional complaint that carries a social identity:
    the first negative inbound message about the same brand by the same person
    (author_id = the complaint's pseudonymised social handle) posted after the
    complaint and within var escalation_window_days.
#}
with complaints as (
    select
        complaint_id,
        brand,
        reporting_month,
        received_at,
        social_author_id
    from {{ ref('int_complaints') }}
    where is_traditional and social_author_id is not null
),

negatives as (
    select
        mention_key,
        brand,
        author_id,
        created_at
    from {{ ref('int_inbound_mentions') }}
    where is_negative
),

escalations as (
    select
        complaints.complaint_id,
        negatives.mention_key,
        negatives.created_at,
        row_number() over (
            partition by complaints.complaint_id
            order by negatives.created_at, negatives.mention_key
        ) as escalation_rank
    from complaints
    inner join negatives
        on
            complaints.brand = negatives.brand
            and complaints.social_author_id = negatives.author_id
            and complaints.received_at < negatives.created_at
            and {{ dbt.dateadd('day', var('escalation_window_days'), 'complaints.received_at') }} >= negatives.created_at
),

final as (
    select
        complaints.complaint_id,
        complaints.brand,
        complaints.reporting_month,
        complaints.received_at,
        complaints.social_author_id,
        escalations.mention_key as escalation_mention_key,
        escalations.created_at as escalated_at,
        escalations.mention_key is not null as is_escalated
    from complaints
    left join escalations
        on complaints.complaint_id = escalations.complaint_id and escalations.escalation_rank = 1
)

select * from final

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

complaints as (
    select * from {{ ref('int_complaints') }}
),

complaint_counts as (
    select
        brand,
        reporting_month,
        {{ count_if('is_traditional') }} as traditional_complaints,
        {{ count_if("channel_group = 'phone'") }} as phone_complaints,
        {{ count_if("channel_group = 'email'") }} as email_complaints,
        {{ count_if("channel_group = 'letter'") }} as letter_complaints,
        {{ count_if("channel_group = 'webform'") }} as webform_complaints,
        {{ count_if("channel_group = 'store'") }} as store_complaints,
        {{ count_if("channel_group = 'other'") }} as other_complaints,
        {{ count_if("channel_group = 'social'") }} as social_desk_complaints,
        {{ count_if('is_traditional and resolved_at is not null') }} as resolved_traditional_complaints,
        {{ percentile_cont('case when is_traditional then resolution_hours end', 0.5) }} as median_resolution_hours
    from complaints
    group by
        brand,
        reporting_month
),

online as (
    select
        brand,
        reporting_month,
        count(*) as online_complaints
    from {{ ref('int_inbound_mentions') }}
    where is_negative
    group by
        brand,
        reporting_month
),

escalation_counts as (
    select
        brand,
        reporting_month,
        count(distinct social_author_id) as complainants_with_social_identity,
        count(distinct case when is_escalated then social_author_id end) as escalated_complainants
    from {{ ref('int_complaint_escalations') }}
    group by
        brand,
        reporting_month
),

final as (
    select
        spine.brand,
        spine.reporting_month,
        spine.sector,
        coalesce(complaint_counts.traditional_complaints, 0) as traditional_complaints,
        coalesce(complaint_counts.phone_complaints, 0) as phone_complaints,
        coalesce(complaint_counts.email_complaints, 0) as email_complaints,
        coalesce(complaint_counts.letter_complaints, 0) as letter_complaints,
        coalesce(complaint_counts.webform_complaints, 0) as webform_complaints,
        coalesce(complaint_counts.store_complaints, 0) as store_complaints,
        coalesce(complaint_counts.other_complaints, 0) as other_complaints,
        coalesce(complaint_counts.social_desk_complaints, 0) as social_desk_complaints,
        coalesce(online.online_complaints, 0) as online_complaints,
        {{ safe_divide('coalesce(online.online_complaints, 0)', 'complaint_counts.traditional_complaints') }} as complaint_to_online_ratio,
        {{ safe_divide(
            'coalesce(online.online_complaints, 0)',
            'coalesce(online.online_complaints, 0) + coalesce(complaint_counts.traditional_complaints, 0)'
        ) }} as online_share_of_complaints,
        coalesce(escalation_counts.complainants_with_social_identity, 0) as complainants_with_social_identity,
        coalesce(escalation_counts.escalated_complainants, 0) as escalated_complainants,
        {{ safe_divide(
            'escalation_counts.escalated_complainants',
            'escalation_counts.complainants_with_social_identity'
        ) }} as channel_escalation_rate,
        coalesce(complaint_counts.resolved_traditional_complaints, 0) as resolved_traditional_complaints,
        complaint_counts.median_resolution_hours,
        cast({{ var('escalation_window_days') }} as {{ dbt.type_bigint() }}) as assumption_escalation_window_days
    from spine
    left join complaint_counts
        on spine.brand = complaint_counts.brand and spine.reporting_month = complaint_counts.reporting_month
    left join online
        on spine.brand = online.brand and spine.reporting_month = online.reporting_month
    left join escalation_counts
        on spine.brand = escalation_counts.brand and spine.reporting_month = escalation_counts.reporting_month
)

select * from final
where {{ incremental_months('reporting_month') }}

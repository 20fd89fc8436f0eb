{#
    Poster journeys for the ROI proxies, one row per brand x month x author with a
    negative inbound message in that month:
    - contacted: a human reply of the brand answered one of those negative
      messages; replies by bot accounts or flagged automated are not contact (as
      in the response KPIs), nor are replies by another brand's accounts or
      replies earlier than the message. The journey starts at the first such reply;
    - not contacted: the journey starts at the author's first negative message of
      the month (the comparison group);
    - recovered: the author's next inbound message about the brand after the
      journey start, within var recovery_window_days, is positive.
    Post-level counts for the deletion rate come along: a contacted post counts as
    deleted only when its deletion follows its first human reply.
#}
{{ config(
    materialized='incremental',
    incremental_strategy=month_strategy(),
    month_column='reporting_month',
    partition_by=['reporting_month'],
) }}

with inbound as (
    select
        mention_key,
        brand,
        author_id,
        created_at,
        reporting_month,
        sentiment_label,
        is_negative,
        deleted_at
    from {{ ref('int_inbound_mentions') }}
),

human_replies as (
    select
        inbound_mention_key,
        brand,
        created_at
    from {{ ref('int_brand_replies') }}
    -- a contact follows the negative message, so only replies from the rebuilt months on
    where not is_automated_reply and {{ incremental_months_since('created_at') }}
),

deletion_reporting as (
    select {{ count_if('deleted_at is not null') }} > 0 as is_deletion_reported
    from {{ ref('int_mentions_enriched') }}
),

negative_posts as (
    select
        inbound.brand,
        inbound.reporting_month,
        inbound.author_id,
        inbound.mention_key,
        inbound.created_at,
        inbound.deleted_at,
        min(human_replies.created_at) as first_reply_at
    from inbound
    left join human_replies
        on
            inbound.mention_key = human_replies.inbound_mention_key
            and inbound.brand = human_replies.brand
            and inbound.created_at <= human_replies.created_at
    where inbound.is_negative and {{ incremental_months('inbound.reporting_month') }}
    group by
        inbound.brand,
        inbound.reporting_month,
        inbound.author_id,
        inbound.mention_key,
        inbound.created_at,
        inbound.deleted_at
),

posters as (
    select
        brand,
        reporting_month,
        author_id,
        count(*) as negative_posts,
        min(created_at) as first_negative_at,
        min(first_reply_at) as contacted_at,
        {{ count_if('first_reply_at is not null') }} as contacted_negative_posts,
        {{ count_if('deleted_at > first_reply_at') }} as deleted_contacted_negative_posts
    from negative_posts
    group by
        brand,
        reporting_month,
        author_id
),

journeys as (
    select
        *,
        contacted_at is not null as is_contacted,
        coalesce(contacted_at, first_negative_at) as journey_start_at
    from posters
),

next_messages as (
    select
        journeys.brand,
        journeys.reporting_month,
        journeys.author_id,
        inbound.mention_key,
        inbound.created_at,
        inbound.sentiment_label,
        row_number() over (
            partition by journeys.brand, journeys.reporting_month, journeys.author_id
            order by inbound.created_at, inbound.mention_key
        ) as message_rank
    from journeys
    inner join inbound
        on
            journeys.brand = inbound.brand
            and journeys.author_id = inbound.author_id
            and journeys.journey_start_at < inbound.created_at
            and {{ dbt.dateadd('day', var('recovery_window_days'), 'journeys.journey_start_at') }} >= inbound.created_at
    -- a next message follows the journey's start, so only messages from the rebuilt months on
    where {{ incremental_months_since('inbound.created_at') }}
),

final as (
    select
        journeys.brand,
        journeys.reporting_month,
        journeys.author_id,
        journeys.negative_posts,
        journeys.first_negative_at,
        journeys.is_contacted,
        journeys.contacted_at,
        journeys.journey_start_at,
        next_messages.mention_key as next_mention_key,
        next_messages.created_at as next_message_at,
        next_messages.sentiment_label as next_message_sentiment_label,
        coalesce(next_messages.sentiment_label = 'positive', false) as is_recovered,
        journeys.contacted_negative_posts,
        journeys.deleted_contacted_negative_posts,
        deletion_reporting.is_deletion_reported
    from journeys
    cross join deletion_reporting
    left join next_messages
        on
            journeys.brand = next_messages.brand
            and journeys.reporting_month = next_messages.reporting_month
            and journeys.author_id = next_messages.author_id
            and next_messages.message_rank = 1
)

-- a journey's month is that of its negative posts: the rebuilt months only
select * from final

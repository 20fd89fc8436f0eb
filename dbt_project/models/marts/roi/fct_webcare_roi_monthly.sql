{#
    ROI proxies per brand and reporting month (KPI_DEFINITIONS.md section 7). The
    poster counts and rates use the month of the negative messages; reply counts
    and the cost use the month of the reply, the month the cost is incurred. Only
    human replies are contact and cost: bot and automated replies are counted in
    automated_replies beside them.
#}
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

brands as (
    select
        brand,
        currency
    from {{ ref('int_brands') }}
),

journeys as (
    select * from {{ ref('int_negative_poster_journeys') }}
),

replies as (
    select
        brand,
        reporting_month,
        count(*) as brand_replies,
        {{ count_if('is_automated_reply') }} as automated_replies,
        {{ count_if('not is_automated_reply') }} as human_replies
    from {{ ref('int_brand_replies') }}
    group by
        brand,
        reporting_month
),

journey_counts as (
    select
        brand,
        reporting_month,
        count(*) as negative_posters,
        {{ count_if('is_contacted') }} as contacted_negative_posters,
        {{ count_if('is_contacted and is_recovered') }} as recovered_contacted_posters,
        {{ count_if('not is_contacted') }} as uncontacted_negative_posters,
        {{ count_if('not is_contacted and is_recovered') }} as recovered_uncontacted_posters,
        cast(sum(contacted_negative_posts) as {{ dbt.type_bigint() }}) as contacted_negative_posts,
        cast(sum(deleted_contacted_negative_posts) as {{ dbt.type_bigint() }}) as deleted_contacted_negative_posts,
        {{ dbt.bool_or('is_deletion_reported') }} as is_deletion_reported
    from journeys
    group by
        brand,
        reporting_month
),

rates as (
    select
        spine.brand,
        spine.reporting_month,
        spine.sector,
        brands.currency,
        coalesce(journey_counts.negative_posters, 0) as negative_posters,
        coalesce(journey_counts.contacted_negative_posters, 0) as contacted_negative_posters,
        {{ safe_divide('journey_counts.contacted_negative_posters', 'journey_counts.negative_posters') }} as contacted_rate,
        coalesce(journey_counts.recovered_contacted_posters, 0) as recovered_contacted_posters,
        {{ safe_divide(
            'journey_counts.recovered_contacted_posters',
            'journey_counts.contacted_negative_posters'
        ) }} as recovery_rate_contacted,
        coalesce(journey_counts.uncontacted_negative_posters, 0) as uncontacted_negative_posters,
        coalesce(journey_counts.recovered_uncontacted_posters, 0) as recovered_uncontacted_posters,
        {{ safe_divide(
            'journey_counts.recovered_uncontacted_posters',
            'journey_counts.uncontacted_negative_posters'
        ) }} as recovery_rate_uncontacted,
        coalesce(journey_counts.contacted_negative_posts, 0) as contacted_negative_posts,
        coalesce(journey_counts.deleted_contacted_negative_posts, 0) as deleted_contacted_negative_posts,
        case
            when journey_counts.is_deletion_reported
                then {{ safe_divide(
                    'journey_counts.deleted_contacted_negative_posts',
                    'journey_counts.contacted_negative_posts'
                ) }}
        end as deletion_rate,
        coalesce(replies.brand_replies, 0) as brand_replies,
        coalesce(replies.automated_replies, 0) as automated_replies,
        coalesce(replies.human_replies, 0) as human_replies
    from spine
    left join brands
        on spine.brand = brands.brand
    left join journey_counts
        on spine.brand = journey_counts.brand and spine.reporting_month = journey_counts.reporting_month
    left join replies
        on spine.brand = replies.brand and spine.reporting_month = replies.reporting_month
),

{# Money is published in cents (the contract's decimal(18, 2)); the ROI proxy is
   computed from the published amounts, so it follows from the row as a reader sees it. #}
valued as (
    select
        *,
        recovery_rate_contacted - recovery_rate_uncontacted as recovery_uplift,
        {{ to_money(
            '(recovery_rate_contacted - recovery_rate_uncontacted) * contacted_negative_posters * '
            ~ var('customer_annual_value')
        ) }} as estimated_value_protected,
        {{ to_money('human_replies * ' ~ var('cost_per_reply')) }} as webcare_cost
    from rates
),

final as (
    select
        brand,
        reporting_month,
        sector,
        currency,
        negative_posters,
        contacted_negative_posters,
        contacted_rate,
        recovered_contacted_posters,
        recovery_rate_contacted,
        uncontacted_negative_posters,
        recovered_uncontacted_posters,
        recovery_rate_uncontacted,
        recovery_uplift,
        contacted_negative_posts,
        deleted_contacted_negative_posts,
        deletion_rate,
        estimated_value_protected,
        brand_replies,
        automated_replies,
        human_replies,
        webcare_cost,
        {{ safe_divide('estimated_value_protected - webcare_cost', 'webcare_cost') }} as roi_proxy,
        cast({{ var('recovery_window_days') }} as {{ dbt.type_bigint() }}) as assumption_recovery_window_days,
        {{ to_money(var('customer_annual_value')) }} as assumption_customer_annual_value,
        {{ to_money(var('cost_per_reply')) }} as assumption_cost_per_reply
    from valued
)

select * from final
where {{ incremental_months('reporting_month') }}

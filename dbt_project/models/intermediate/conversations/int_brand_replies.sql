{#
    Brand replies: messages by a brand account that answer an inbound message.
    Replies by bot accounts or flagged extra.is_automated are kept (they are brand
    replies) but marked, because they never count as a response. A reply is
    personalised when a person signed it (var personalisation_signature_pattern).
#}
{{ config(
    materialized='incremental',
    incremental_strategy=month_strategy(),
    month_column='reporting_month',
    partition_by=['reporting_month'],
) }}

{%- set signature_pattern = dbt.string_literal(dbt.escape_single_quotes(var('personalisation_signature_pattern'))) -%}

with replies as (
    -- the replies of the rebuilt months (a reply's month is its own)
    select * from {{ ref('int_mentions_enriched') }}
    where is_brand_account and {{ incremental_months('reporting_month') }}
),

inbound as (
    select
        mention_key,
        brand
    from {{ ref('int_inbound_mentions') }}
),

final as (
    select
        replies.mention_key as reply_key,
        replies.in_reply_to_key as inbound_mention_key,
        replies.author_account_key as account_key,
        replies.author_id as account_handle,
        replies.platform,
        replies.brand,
        inbound.brand as inbound_brand,
        replies.created_at,
        replies.reporting_month,
        replies.is_bot_author or replies.is_automated as is_automated_reply,
        not (replies.is_bot_author or replies.is_automated)
        and coalesce({{ regex_matches('trim(replies.mention_text)', signature_pattern) }}, false) as is_personalised
    from replies
    inner join inbound
        on replies.in_reply_to_key = inbound.mention_key
)

select * from final

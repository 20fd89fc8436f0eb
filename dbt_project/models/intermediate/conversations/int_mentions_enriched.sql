{#
    Every mention with its author's account, the message it answers, its
    reporting month and day, its sentiment score, and the brand resolved along
    the thread: the loader's brand, else the brand of the authoring account, else
    of the message it answers, else of the first brand account that answers it.
#}
{{ config(
    materialized='incremental',
    incremental_strategy=month_strategy(),
    month_column='reporting_month',
    partition_by=['reporting_month'],
) }}

with mentions as (
    select * from {{ ref('stg_raw__mentions') }}
),

accounts as (
    select
        account_key,
        brand,
        is_bot
    from {{ ref('int_webcare_accounts') }}
),

scores as (
    select
        mention_key,
        sentiment_label,
        sentiment_score,
        model_version as sentiment_model_version
    from {{ ref('stg_scores__mention_sentiment') }}
    -- the scores of the rebuilt months: a score lies in its mention's partition, the
    -- reporting month of the mention (the loader's and the scorer's rule)
    where {{ incremental_months('partition_month') }}
),

{#- The author's account, brand and bot flag (mentions joined to accounts). -#}
{%- set author_columns -%}
        case when mentions.is_brand_account then accounts.account_key end as author_account_key,
        case when mentions.is_brand_account then coalesce(accounts.brand, mentions.brand) else mentions.brand end as author_brand,
        coalesce(accounts.is_bot, false) and mentions.is_brand_account as is_bot_author
{%- endset %}
{%- set author_account = dbt.concat(["lower(mentions.platform)", "':'", "lower(mentions.author_id)"]) %}
{#- Where parents and brand repliers are found. A build of every month finds them in
    `authored` itself: one pass over the rows (a second, narrow one costs more memory
    than the whole build may use at 10M mentions). A build of some months finds them
    in a narrow lookup of every month, so the wide rows of the months it keeps are
    never read. -#}
{%- set rebuilding = webcare_warehouse.rebuild_from_month() is not none %}
{%- set lookup = 'thread_lookup' if rebuilding else 'authored' %}

authored as (
    -- the mentions that can fall in the rebuilt months, every column; the month filter
    -- at the end keeps exactly those months
    select
        mentions.*,
        {{ author_columns }}
    from mentions
    left join accounts
        on mentions.is_brand_account and accounts.account_key = {{ author_account }}
    where {{ incremental_months_since('mentions.created_at') }}
),
{%- if rebuilding %}

thread_lookup as (
    -- every month, the few columns a message's parent and brand replier are found by
    select
        mentions.mention_key,
        mentions.in_reply_to_key,
        mentions.created_at,
        mentions.is_brand_account,
        {{ author_columns }}
    from mentions
    left join accounts
        on mentions.is_brand_account and accounts.account_key = {{ author_account }}
),
{%- endif %}

brand_repliers as (
    select
        in_reply_to_key as mention_key,
        author_brand as brand,
        row_number() over (
            partition by in_reply_to_key
            order by created_at, mention_key
        ) as reply_rank
    from {{ lookup }}
    where
        is_brand_account and in_reply_to_key is not null and author_brand is not null
        -- an incremental run: only the replies to the mentions it rebuilds
        and {{ incremental_months_only('in_reply_to_key in (select mention_key from authored)') }}
),

parents as (
    -- the message each reply answers, joined on the keys and the few columns used
    -- (the wide rows below then meet only this narrow table)
    select
        replies.mention_key,
        answered.mention_key as parent_key,
        answered.author_brand,
        answered.is_brand_account,
        answered.author_account_key
    from authored as replies
    inner join {{ lookup }} as answered
        on replies.in_reply_to_key = answered.mention_key
),

final as (
    select
        authored.mention_key,
        authored.platform,
        authored.mention_id,
        authored.created_at,
        {{ to_reporting_month('authored.created_at') }} as reporting_month,
        {{ to_reporting_date('authored.created_at') }} as reporting_date,
        authored.author_id,
        authored.is_brand_account,
        authored.author_account_key,
        authored.is_bot_author,
        authored.is_automated,
        coalesce(authored.author_brand, parents.author_brand, brand_repliers.brand) as brand,
        authored.brand as loaded_brand,
        authored.in_reply_to_key,
        parents.parent_key is not null as has_parent_message,
        coalesce(parents.is_brand_account, false) as is_reply_to_brand_account,
        parents.author_account_key as replied_account_key,
        authored.mention_text,
        authored.deleted_at,
        scores.sentiment_label,
        scores.sentiment_score,
        scores.sentiment_model_version,
        authored.language_code
    from authored
    left join parents
        on authored.mention_key = parents.mention_key
    left join brand_repliers
        on authored.mention_key = brand_repliers.mention_key and brand_repliers.reply_rank = 1
    left join scores
        on authored.mention_key = scores.mention_key
)

select * from final
where {{ incremental_months('reporting_month') }}

{#
    Every (inbound message, addressed account) pair with the first response of the
    account's brand (KPI_DEFINITIONS.md section 2). A message addresses every brand
    account, of any brand, that it
    - replies to ('reply'),
    - names by @handle: the whole handle, any case, on the same platform ('handle'),
    - was replied to by ('response'): the account's reply, automated or not, shows
      that the message reached it.
    When an account qualifies several ways, addressed_via is the first of reply,
    handle, response.

    A bot account qualifies through its reply only when the message addresses no
    other account of the bot's brand: an auto-responder answers whatever reaches
    the brand's desks, so counting it beside the desk the customer wrote to would
    count every auto-answered message twice for the brand, while a message that
    only a bot answered must still count (as unanswered).

    Per row, brand is the addressed account's brand and the first response is the
    earliest reply by a non-bot account of that brand that is not flagged automated
    and not earlier than the message.
#}
{{ config(
    materialized='incremental',
    incremental_strategy=month_strategy(),
    month_column='reporting_month',
    partition_by=['reporting_month'],
) }}

with inbound as (
    -- the messages whose rows are built: those of the rebuilt months
    select * from {{ ref('int_inbound_mentions') }}
    where {{ incremental_months('reporting_month') }}
),

accounts as (
    select
        account_key,
        handle,
        platform,
        brand,
        is_bot
    from {{ ref('int_webcare_accounts') }}
    where brand is not null
),

replies as (
    select
        reply_key,
        inbound_mention_key,
        account_key,
        brand,
        created_at,
        is_automated_reply
    from {{ ref('int_brand_replies') }}
    -- the replies to those messages, of any month (a reply need not follow its message)
    where {{ incremental_months_only('inbound_mention_key in (select mention_key from inbound)') }}
),

replied_accounts as (
    select
        mention_key,
        replied_account_key as account_key,
        1 as address_precedence,
        'reply' as addressed_via
    from inbound
    where is_reply_to_brand_account
),

handle_accounts as (
    select
        account_key,
        lower(platform) as platform,
        lower(handle) as handle,
        -- a handle of letters, digits and underscores only, as platforms allow
        coalesce(lower(handle) <> '' and not {{ regex_matches('lower(handle)', "'[^a-z0-9_]'") }}, false) as is_word_handle
    from accounts
),

named_handles as (
    -- every @handle a message names, lower case: an @ at the start or after a
    -- character other than a letter, digit or underscore, and the whole run of
    -- letters, digits and underscores after it (@bankhelp names bankhelp, not bank)
    select
        mention_key,
        lower(platform) as platform,
        {{ regex_extract_each('lower(mention_text)', "'(?:^|[^a-z0-9_])@([a-z0-9_]+)'", 1) }} as handle
    from inbound
),

handle_candidates as (
    -- accounts with any other handle: the handle itself between the same boundaries
    select
        inbound.mention_key,
        inbound.mention_text,
        handle_accounts.account_key,
        handle_accounts.handle,
        {{ dbt.position(dbt.concat(["'@'", "handle_accounts.handle"]), "lower(inbound.mention_text)") }} as handle_position
    from inbound
    inner join handle_accounts
        on lower(inbound.platform) = handle_accounts.platform
    where not handle_accounts.is_word_handle
),

named_accounts as (
    select
        named_handles.mention_key,
        handle_accounts.account_key,
        2 as address_precedence,
        'handle' as addressed_via
    from named_handles
    inner join handle_accounts
        on
            named_handles.platform = handle_accounts.platform
            and named_handles.handle = handle_accounts.handle
    where handle_accounts.is_word_handle
    union all
    select
        mention_key,
        account_key,
        2 as address_precedence,
        'handle' as addressed_via
    from handle_candidates
    where
        handle_position > 0
        -- the handle must end there: @bank must not match @bankhelp
        and {{ regex_matches('lower(mention_text)', dbt.concat(["'(^|[^a-z0-9_])@'", "handle", "'($|[^a-z0-9_])'"])) }}
),

responding_accounts as (
    select distinct
        replies.inbound_mention_key as mention_key,
        replies.account_key,
        accounts.brand,
        accounts.is_bot
    from replies
    inner join accounts
        on replies.account_key = accounts.account_key
),

desk_candidates as (
    select * from replied_accounts
    union all
    select * from named_accounts
    union all
    select
        mention_key,
        account_key,
        3 as address_precedence,
        'response' as addressed_via
    from responding_accounts
    where not is_bot
),

bot_responses as (
    select
        mention_key,
        account_key,
        brand
    from responding_accounts
    where is_bot
),

desk_brands as (
    -- the brands whose desks a message addresses, for the messages a bot replied to
    select distinct
        desk_candidates.mention_key,
        accounts.brand
    from desk_candidates
    inner join accounts
        on desk_candidates.account_key = accounts.account_key
    where
        desk_candidates.mention_key in (
            select bot_responses.mention_key
            from bot_responses
        )
),

bot_candidates as (
    select
        bot_responses.mention_key,
        bot_responses.account_key,
        3 as address_precedence,
        'response' as addressed_via
    from bot_responses
    left join desk_brands
        on
            bot_responses.mention_key = desk_brands.mention_key
            and bot_responses.brand = desk_brands.brand
    where desk_brands.mention_key is null
),

addressed_ranked as (
    select
        candidates.mention_key,
        candidates.account_key,
        candidates.addressed_via,
        accounts.brand,
        row_number() over (
            partition by candidates.mention_key, candidates.account_key
            order by candidates.address_precedence
        ) as address_rank
    from (
        select * from desk_candidates
        union all
        select * from bot_candidates
    ) as candidates
    inner join accounts
        on candidates.account_key = accounts.account_key
),

responses as (
    select
        inbound.mention_key,
        replies.brand,
        replies.reply_key,
        replies.account_key as response_account_key,
        replies.created_at,
        row_number() over (
            partition by inbound.mention_key, replies.brand
            order by replies.created_at, replies.reply_key
        ) as response_rank
    from inbound
    inner join replies
        on inbound.mention_key = replies.inbound_mention_key
    where
        not replies.is_automated_reply
        and replies.created_at >= inbound.created_at
),

final as (
    select
        inbound.mention_key,
        addressed_ranked.account_key,
        inbound.platform,
        inbound.mention_id,
        addressed_ranked.brand,
        inbound.brand as mention_brand,
        inbound.author_id,
        inbound.created_at,
        inbound.reporting_month,
        inbound.sentiment_label,
        addressed_ranked.addressed_via,
        responses.reply_key as first_response_key,
        responses.response_account_key as first_response_account_key,
        responses.created_at as first_response_at
    from inbound
    inner join addressed_ranked
        on inbound.mention_key = addressed_ranked.mention_key and addressed_ranked.address_rank = 1
    left join responses
        on
            addressed_ranked.mention_key = responses.mention_key
            and addressed_ranked.brand = responses.brand
            and responses.response_rank = 1
)

-- Every row is a message of inbound, so of the rebuilt months only. Stored in month
-- order (as the models that read it then keep it): a later run replaces the last
-- months, and DuckDB then rewrites only the last row groups, not every one.
select * from final
order by reporting_month

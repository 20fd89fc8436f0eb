{#
    Inbound messages that address a brand account (a reply to one of the brand's
    accounts, or a message naming its @handle), the account they address, and
    their first response: the earliest brand reply by a non-bot account of the
    same brand that is not flagged automated and not earlier than the message.
    When a message both replies to an account and names handles, the account it
    replies to wins; among named handles the first in the text wins.
#}
with inbound as (
    select * from {{ ref('int_inbound_mentions') }}
),

accounts as (
    select
        account_key,
        handle,
        platform,
        brand
    from {{ ref('int_webcare_accounts') }}
),

replied_accounts as (
    select
        inbound.mention_key,
        accounts.account_key,
        0 as handle_position,
        'reply' as addressed_via
    from inbound
    inner join accounts
        on inbound.replied_account_key = accounts.account_key and inbound.brand = accounts.brand
    where inbound.is_reply_to_brand_account
),

handle_candidates as (
    select
        inbound.mention_key,
        inbound.mention_text,
        accounts.account_key,
        lower(accounts.handle) as handle,
        {{ dbt.position(dbt.concat(["'@'", "lower(accounts.handle)"]), "lower(inbound.mention_text)") }} as handle_position
    from inbound
    inner join accounts
        on lower(inbound.platform) = lower(accounts.platform) and inbound.brand = accounts.brand
),

named_accounts as (
    select
        mention_key,
        account_key,
        handle_position,
        'handle' as addressed_via
    from handle_candidates
    where
        handle_position > 0
        -- the handle must end there: @bank must not match @bankhelp
        and {{ regex_matches('lower(mention_text)', dbt.concat(["'(^|[^a-z0-9_])@'", "handle", "'($|[^a-z0-9_])'"])) }}
),

addressed_ranked as (
    select
        *,
        row_number() over (
            partition by mention_key
            order by handle_position, account_key
        ) as address_rank
    from (
        select * from replied_accounts
        union all
        select * from named_accounts
    ) as candidates
),

responses as (
    select
        inbound.mention_key,
        replies.reply_key,
        replies.account_key as response_account_key,
        replies.created_at,
        row_number() over (
            partition by inbound.mention_key
            order by replies.created_at, replies.reply_key
        ) as response_rank
    from inbound
    inner join {{ ref('int_brand_replies') }} as replies
        on inbound.mention_key = replies.inbound_mention_key
    where
        not replies.is_automated_reply
        and replies.brand = inbound.brand
        and replies.created_at >= inbound.created_at
),

final as (
    select
        inbound.mention_key,
        inbound.platform,
        inbound.mention_id,
        inbound.brand,
        inbound.author_id,
        inbound.created_at,
        inbound.reporting_month,
        inbound.sentiment_label,
        addressed_ranked.account_key,
        addressed_ranked.addressed_via,
        responses.reply_key as first_response_key,
        responses.response_account_key as first_response_account_key,
        responses.created_at as first_response_at
    from inbound
    inner join addressed_ranked
        on inbound.mention_key = addressed_ranked.mention_key and addressed_ranked.address_rank = 1
    left join responses
        on inbound.mention_key = responses.mention_key and responses.response_rank = 1
)

select * from final

{#
    The thread of every mention: its root (the earliest ancestor present in the
    data, following in_reply_to) and its depth below it. The walk stops after
    max_depth steps so a reply cycle in bad data cannot loop forever.

    Incremental by the mention's month: a mention's thread depends only on its
    ancestors, so the rebuilt months' mentions walk up through every month's links,
    and the mentions of older months keep their rows (a message that joins an old
    thread, or heads one as a late parent, puts that thread's months among the
    rebuilt ones: assets/dbt/incremental.py).
#}
{{ config(
    materialized='incremental',
    incremental_strategy=month_strategy(),
    month_column='reporting_month',
    partition_by=['reporting_month'],
) }}
{%- set max_depth = 100 -%}

with recursive mentions as (
    -- every mention once, as int_mentions_enriched holds them (deduplicated already)
    select
        mention_key,
        in_reply_to_key,
        reporting_month
    from {{ ref('int_mentions_enriched') }}
),

links as (
    -- one step up: every reply whose parent is in the data, with the reply's month
    select
        replies.mention_key,
        parents.mention_key as parent_key,
        replies.reporting_month
    from mentions as replies
    inner join mentions as parents
        on replies.in_reply_to_key = parents.mention_key
),

walk as (
    -- only replies walk (those of the rebuilt months), so each step joins the links,
    -- not every mention
    select
        mention_key,
        parent_key as ancestor_key,
        1 as steps
    from links
    where {{ incremental_months('reporting_month') }}
    union all
    select
        walk.mention_key,
        links.parent_key as ancestor_key,
        walk.steps + 1 as steps
    from walk
    inner join links
        on walk.ancestor_key = links.mention_key
    where walk.steps < {{ max_depth }}
),

roots as (
    -- the last step of each walk: an ancestor without a parent, or max_depth reached
    select
        walk.mention_key,
        walk.ancestor_key,
        walk.steps
    from walk
    left join links
        on walk.ancestor_key = links.mention_key
    where links.mention_key is null or walk.steps >= {{ max_depth }}
),

final as (
    select
        mentions.mention_key,
        coalesce(roots.ancestor_key, mentions.mention_key) as thread_key,
        coalesce(roots.steps, 0) as thread_depth,
        mentions.reporting_month
    from mentions
    left join roots
        on mentions.mention_key = roots.mention_key
    where {{ incremental_months('mentions.reporting_month') }}
)

select * from final

{#
    The thread of every mention: its root (the earliest ancestor present in the
    data, following in_reply_to) and its depth below it. The walk stops after
    max_depth steps so a reply cycle in bad data cannot loop forever.
#}
{%- set max_depth = 100 -%}

with recursive mentions as (
    -- every mention once, as int_mentions_enriched holds them (deduplicated already)
    select
        mention_key,
        in_reply_to_key
    from {{ ref('int_mentions_enriched') }}
),

links as (
    -- one step up: every reply whose parent is in the data
    select
        replies.mention_key,
        parents.mention_key as parent_key
    from mentions as replies
    inner join mentions as parents
        on replies.in_reply_to_key = parents.mention_key
),

walk as (
    -- only replies walk, so each step joins the links, not every mention
    select
        mention_key,
        parent_key as ancestor_key,
        1 as steps
    from links
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
        coalesce(roots.steps, 0) as thread_depth
    from mentions
    left join roots
        on mentions.mention_key = roots.mention_key
)

select * from final

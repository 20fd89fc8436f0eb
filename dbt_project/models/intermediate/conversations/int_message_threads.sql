{#
    The thread of every mention: its root (the earliest ancestor present in the
    data, following in_reply_to) and its depth below it. The walk stops after
    max_depth steps so a reply cycle in bad data cannot loop forever.
#}
{%- set max_depth = 100 -%}

with recursive mentions as (
    select
        mention_key,
        in_reply_to_key
    from {{ ref('stg_raw__mentions') }}
),

walk as (
    select
        mention_key,
        mention_key as ancestor_key,
        in_reply_to_key as next_key,
        0 as steps
    from mentions
    union all
    select
        walk.mention_key,
        parents.mention_key as ancestor_key,
        parents.in_reply_to_key as next_key,
        walk.steps + 1 as steps
    from walk
    inner join mentions as parents
        on walk.next_key = parents.mention_key
    where walk.steps < {{ max_depth }}
),

ranked as (
    select
        mention_key,
        ancestor_key,
        steps,
        row_number() over (partition by mention_key order by steps desc) as depth_rank
    from walk
),

final as (
    select
        mention_key,
        ancestor_key as thread_key,
        steps as thread_depth
    from ranked
    where depth_rank = 1
)

select * from final

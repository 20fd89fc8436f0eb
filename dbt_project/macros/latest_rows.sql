{#
    latest_rows: the CTE `name` that ranks the rows of `relation` (a source) within
    each key, by `order_by`, in the column `rank_column`; a model keeps
    `rank_column = 1`. `where`, when given, leaves rows out before ranking.

    It does what `row_number() over (partition by <keys> order by <order_by>)` does,
    but ranks only the rows of keys that occur more than once. Raw tables hold one row
    per key unless a file was loaded again (a correction, a retry), so nearly every
    row passes straight through with rank 1 instead of being sorted within its key,
    and a filter on the staging view reaches the raw table's scan for those rows (the
    window blocked it). A key is compared null-safe, as a window partition does.

    The relation is read where it is used, not through a CTE of the model: DuckDB
    materialises a CTE read more than once, which would copy every raw row first.
#}
{% macro latest_rows(name, relation, keys, order_by, rank_column, where=none) -%}
{{ name }}__repeated_keys as (
    -- the keys loaded more than once: the only rows that need ranking
    select
        {%- for key in keys %}
        {{ key }} as key_{{ loop.index }},
        {%- endfor %}
        count(*) as rows_per_key
    from {{ relation }}
    {%- if where %}
    where {{ where }}
    {%- endif %}
    group by {{ keys | join(', ') }}
    having count(*) > 1
),

{{ name }} as (
    select
        loaded.*,
        1 as {{ rank_column }}
    from {{ relation }} as loaded
    left join {{ name }}__repeated_keys as repeated_keys
        on {{ webcare_warehouse._latest_rows_key_match(keys) }}
    where
        repeated_keys.rows_per_key is null
        {%- if where %}
        and {{ where }}
        {%- endif %}
    union all
    select
        loaded.*,
        row_number() over (
            partition by {{ keys | join(', ') }}
            order by {{ order_by }}
        ) as {{ rank_column }}
    from {{ relation }} as loaded
    inner join {{ name }}__repeated_keys as repeated_keys
        on {{ webcare_warehouse._latest_rows_key_match(keys) }}
    {%- if where %}
    where {{ where }}
    {%- endif %}
)
{%- endmacro %}

{% macro _latest_rows_key_match(keys) -%}
    {%- for key in keys -%}
        {{ key }} is not distinct from repeated_keys.key_{{ loop.index }}
        {%- if not loop.last %} and {% endif -%}
    {%- endfor -%}
{%- endmacro %}

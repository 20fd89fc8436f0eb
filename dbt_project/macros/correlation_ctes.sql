{#
    CTEs that correlate `x` with `y` within groups of the relation `pairs_cte`
    (rows where either value is null are left out). The last CTE, `<prefix>_stats`,
    has the group columns and:
      n_pairs       number of (x, y) pairs used
      pearson_r     Pearson correlation, null when either variance is 0
      spearman_rho  Pearson correlation of the average ranks (ties share the mean rank)
      pearson_r_ci_lower_95 / _upper_95
                    95% interval for r by the Fisher z transform,
                    tanh(atanh(r) -/+ 1.96 / sqrt(n - 3)); null when n <= 3 or |r| = 1
    Group columns may be null (they are joined null-safely). Centred sums (two
    passes) keep the arithmetic stable for large values such as
    market capitalisations. Ranks are doubles: `/ 2.0` would make them decimals on
    Spark, whose sums of products are rounded to a few places.
#}
{% macro correlation_ctes(pairs_cte, group_columns, x, y, prefix='corr') -%}
{%- set groups = group_columns | join(', ') -%}
{%- set join_condition -%}
    {%- for column in group_columns -%}
        {{ prefix }}_ranked.{{ column }} is not distinct from {{ prefix }}_means.{{ column }}{% if not loop.last %} and {% endif %}
    {%- endfor -%}
{%- endset -%}
{{ prefix }}_ranked as (
    select
        {{ groups }},
        cast({{ x }} as {{ webcare_warehouse.type_double() }}) as x_value,
        cast({{ y }} as {{ webcare_warehouse.type_double() }}) as y_value,
        rank() over (partition by {{ groups }} order by {{ x }})
        + cast(count(*) over (partition by {{ groups }}, {{ x }}) - 1 as {{ webcare_warehouse.type_double() }}) / 2 as x_rank,
        rank() over (partition by {{ groups }} order by {{ y }})
        + cast(count(*) over (partition by {{ groups }}, {{ y }}) - 1 as {{ webcare_warehouse.type_double() }}) / 2 as y_rank
    from {{ pairs_cte }}
    where {{ x }} is not null and {{ y }} is not null
),

{{ prefix }}_means as (
    select
        {{ groups }},
        count(*) as n_pairs,
        avg(x_value) as x_mean,
        avg(y_value) as y_mean,
        avg(x_rank) as x_rank_mean,
        avg(y_rank) as y_rank_mean
    from {{ prefix }}_ranked
    group by {{ groups }}
),

{{ prefix }}_sums as (
    select
        {% for column in group_columns -%}
        {{ prefix }}_means.{{ column }},
        {% endfor -%}
        {{ prefix }}_means.n_pairs,
        sum(({{ prefix }}_ranked.x_value - {{ prefix }}_means.x_mean) * ({{ prefix }}_ranked.y_value - {{ prefix }}_means.y_mean)) as xy_sum,
        sum(({{ prefix }}_ranked.x_value - {{ prefix }}_means.x_mean) * ({{ prefix }}_ranked.x_value - {{ prefix }}_means.x_mean)) as xx_sum,
        sum(({{ prefix }}_ranked.y_value - {{ prefix }}_means.y_mean) * ({{ prefix }}_ranked.y_value - {{ prefix }}_means.y_mean)) as yy_sum,
        sum(({{ prefix }}_ranked.x_rank - {{ prefix }}_means.x_rank_mean) * ({{ prefix }}_ranked.y_rank - {{ prefix }}_means.y_rank_mean)) as rank_xy_sum,
        sum(({{ prefix }}_ranked.x_rank - {{ prefix }}_means.x_rank_mean) * ({{ prefix }}_ranked.x_rank - {{ prefix }}_means.x_rank_mean)) as rank_xx_sum,
        sum(({{ prefix }}_ranked.y_rank - {{ prefix }}_means.y_rank_mean) * ({{ prefix }}_ranked.y_rank - {{ prefix }}_means.y_rank_mean)) as rank_yy_sum
    from {{ prefix }}_ranked
    inner join {{ prefix }}_means
        on {{ join_condition }}
    group by
        {% for column in group_columns -%}
        {{ prefix }}_means.{{ column }},
        {% endfor -%}
        {{ prefix }}_means.n_pairs
),

{{ prefix }}_coefficients as (
    select
        {{ groups }},
        n_pairs,
        case
            when xx_sum > 0 and yy_sum > 0
                then greatest(cast(-1 as {{ webcare_warehouse.type_double() }}), least(cast(1 as {{ webcare_warehouse.type_double() }}), xy_sum / sqrt(xx_sum * yy_sum)))
        end as pearson_r,
        case
            when rank_xx_sum > 0 and rank_yy_sum > 0
                then greatest(cast(-1 as {{ webcare_warehouse.type_double() }}), least(cast(1 as {{ webcare_warehouse.type_double() }}), rank_xy_sum / sqrt(rank_xx_sum * rank_yy_sum)))
        end as spearman_rho
    from {{ prefix }}_sums
),

{{ prefix }}_fisher as (
    select
        {{ groups }},
        n_pairs,
        pearson_r,
        spearman_rho,
        case
            when n_pairs > 3 and abs(pearson_r) < 1
                then 0.5 * ln((1 + pearson_r) / (1 - pearson_r))
        end as fisher_z,
        case when n_pairs > 3 then 1.96 / sqrt(n_pairs - 3) end as fisher_z_half_width
    from {{ prefix }}_coefficients
),

{{ prefix }}_stats as (
    select
        {{ groups }},
        n_pairs,
        pearson_r,
        spearman_rho,
        (exp(2 * (fisher_z - fisher_z_half_width)) - 1)
        / (exp(2 * (fisher_z - fisher_z_half_width)) + 1) as pearson_r_ci_lower_95,
        (exp(2 * (fisher_z + fisher_z_half_width)) - 1)
        / (exp(2 * (fisher_z + fisher_z_half_width)) + 1) as pearson_r_ci_upper_95
    from {{ prefix }}_fisher
)
{%- endmacro %}

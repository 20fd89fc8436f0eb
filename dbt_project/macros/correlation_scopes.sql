{#
    The scopes a correlation mart reports on, one row each: every sector of
    `relation` (scope_type 'sector', scope = the sector) and the whole market
    (scope_type 'all', scope 'all'). One definition for both correlation marts.
#}
{% macro correlation_scopes(relation) -%}
    select distinct
        'sector' as scope_type,
        sector as scope
    from {{ relation }}
    union all
    select
        'all' as scope_type,
        'all' as scope
{%- endmacro %}

{#
    What a data test reads of the model it tests (dbt's hook for the `where` test
    config, overridden here).

    On a run that rebuilds from a month F (`rebuild_month_asked`, incremental_months.sql,
    not under --full-refresh), a test of a model with a `month_column` reads only the
    rebuilt months, `month_column >= F or month_column is null`: the older months were
    tested when they were built and this run did not touch them. Those models are the
    month-incremental ones (their reporting month) and the staging views of the
    monthly raw tables (partition_month: the loader replaces whole partitions, every
    partition a run loads is F or later, and the latest load of a key is the row a
    view keeps, so a view's rows of older partitions are those the last build tested).
    Every other test, and every test of a full build, reads the whole model. A test's
    own `where` config applies as well.
#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set months = webcare_warehouse.rebuilt_months_condition() -%}
    {%- if months -%}
        {%- do conditions.append(months) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{#- The rebuilt months of the model the current test is attached to, as a condition,
    or none when the test must read every row. -#}
{% macro rebuilt_months_condition() -%}
    {%- if not execute or flags.FULL_REFRESH -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set month = webcare_warehouse.rebuild_month_asked() -%}
    {%- if not month -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set attached = model.get('attached_node') if model is mapping else none -%}
    {%- set tested = graph.nodes.get(attached) if attached else none -%}
    {%- set month_column = tested.config.get('month_column') if tested else none -%}
    {%- if not month_column -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set first = webcare_warehouse.first_day_of(month) -%}
    {{ return('(' ~ month_column ~ " >= cast('" ~ first ~ "' as date) or " ~ month_column ~ ' is null)') }}
{%- endmacro %}

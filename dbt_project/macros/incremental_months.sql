{#
    Incremental models by reporting month.

    A month-incremental model (materialized: incremental, incremental_strategy:
    replace_months, month_column: <its month column>) rebuilds only the months from
    a month F ('YYYY-MM', `rebuild_month_asked` below) on: its SQL keeps those rows with
    `where {{ incremental_months('reporting_month') }}`, and the strategy deletes
    the same months from the table before inserting them again, so a month that
    lost rows loses them in the table too.

    Without F (a plain `dbt build`), on the first build and under
    --full-refresh every month is built. Which months a run must rebuild (the
    months it loaded, less a margin for windows that reach across months, and the
    months of every thread it added replies to) is decided once by the caller:
    assets/dbt/incremental.py.
#}

{% macro rebuild_month_asked() -%}
    {#- F as asked, 'YYYY-MM', or none: var('rebuild_from_month') (a `dbt build` by
        hand) or else, while executing only, the environment variable
        WEBCARE_REBUILD_FROM_MONTH (Dagster and the benchmark). The variable keeps F
        out of the parse: dbt parses the whole project again when a run's vars differ
        from those of its saved parse, and F differs every month. -#}
    {%- set month = var('rebuild_from_month', none) -%}
    {%- if not month and execute -%}
        {%- set month = env_var('WEBCARE_REBUILD_FROM_MONTH', '') -%}
    {%- endif -%}
    {{ return(month or none) }}
{%- endmacro %}

{% macro rebuild_from_month() -%}
    {#- The first month this model rebuilds as 'YYYY-MM-01', or none for every month. -#}
    {%- set month = webcare_warehouse.rebuild_month_asked() -%}
    {%- if month and this is not none and is_incremental() -%}
        {{ return(webcare_warehouse.first_day_of(month)) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}

{% macro first_day_of(month) -%}
    {#- 'YYYY-MM' (the month asked) as 'YYYY-MM-01'; anything else stops the run. -#}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}', month | string) -%}
        {{ exceptions.raise_compiler_error("rebuild_from_month (var or WEBCARE_REBUILD_FROM_MONTH) must be 'YYYY-MM', got '" ~ month ~ "'") }}
    {%- endif -%}
    {{ return(month ~ '-01') }}
{%- endmacro %}

{% macro incremental_months(month_column) -%}
    {%- set first = webcare_warehouse.rebuild_from_month() -%}
    {%- if first is none -%}
        true
    {%- else -%}
        ({{ month_column }} >= cast('{{ first }}' as date) or {{ month_column }} is null)
    {%- endif -%}
{%- endmacro %}

{#- The custom strategy `replace_months`: delete the months being rebuilt, insert them. -#}
{% macro get_incremental_replace_months_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set month_column = config.require('month_column') -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- set first = webcare_warehouse.rebuild_from_month() -%}
    delete from {{ target }}
    {%- if first is not none %}
    where {{ month_column }} >= cast('{{ first }}' as date) or {{ month_column }} is null
    {%- endif %};
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ source }}
{%- endmacro %}

{#- The strategy of a month-incremental model on this engine: replace_months above, or
    Spark's own insert_overwrite of the month partitions (dbt-spark accepts only its
    built-in strategies; the model's partition_by names the month column). -#}
{% macro month_strategy() -%}
    {{ return('insert_overwrite' if target.type == 'spark' else 'replace_months') }}
{%- endmacro %}

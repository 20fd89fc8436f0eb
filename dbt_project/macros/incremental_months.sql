{#
    Incremental models by reporting month.

    A month-incremental model (materialized: incremental, incremental_strategy:
    replace_months, month_column: <its month column>) rebuilds only the months from
    var('rebuild_from_month') ('YYYY-MM') on: its SQL keeps those rows with
    `where {{ incremental_months('reporting_month') }}`, and the strategy deletes
    the same months from the table before inserting them again, so a month that
    lost rows loses them in the table too.

    Without the var (a plain `dbt build`), on the first build and under
    --full-refresh every month is built. Which months a run must rebuild (the
    months it loaded, less a margin for windows that reach across months, and the
    months of every thread it added replies to) is decided once by the caller:
    assets/dbt/incremental.py.
#}

{% macro rebuild_from_month() -%}
    {#- The first month to rebuild as 'YYYY-MM-01', or none for every month. -#}
    {%- set month = var('rebuild_from_month', none) -%}
    {%- if month and this is not none and is_incremental() -%}
        {{ return(webcare_warehouse.first_day_of(month)) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}

{% macro first_day_of(month) -%}
    {#- 'YYYY-MM' (var rebuild_from_month) as 'YYYY-MM-01'; anything else stops the run. -#}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}', month | string) -%}
        {{ exceptions.raise_compiler_error("var rebuild_from_month must be 'YYYY-MM', got '" ~ month ~ "'") }}
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

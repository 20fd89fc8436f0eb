{#
    A condition that applies only on a run that rebuilds from
    a month F (incremental_months.sql): `condition` then, `true`
    when every month is built. For inputs a model may narrow to the rows of the
    rebuilt months by a key (the replies to the messages it rebuilds) where no
    month or time bound would keep the same rows.
#}
{% macro incremental_months_only(condition) -%}
    {%- if webcare_warehouse.rebuild_from_month() is none -%}
        true
    {%- else -%}
        ({{ condition }})
    {%- endif -%}
{%- endmacro %}

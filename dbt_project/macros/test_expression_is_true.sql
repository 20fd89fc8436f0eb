{#
    Every row satisfies a boolean SQL expression over its columns (rows where it
    is false are returned; a null result counts as a failure too).
#}
{% test expression_is_true(model, expression) %}
select *
from {{ model }}
where not coalesce({{ expression }}, false)
{% endtest %}

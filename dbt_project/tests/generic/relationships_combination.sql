{#
  Every non-null combination of `columns` in the model exists as `to_columns` in `to`
  (a composite foreign key).
#}
{% test relationships_combination(model, columns, to, to_columns) %}

with

child as (

    -- `model` may be a subquery that dbt already aliased (a `where` config, tests by load)
    select * from {{ model }}

),

parent as (

    select * from {{ to }}

)

select child.*

from child
left join parent
    on
    {%- for column in columns %}
        child.{{ column }} = parent.{{ to_columns[loop.index0] }}
        {%- if not loop.last %} and{% endif %}
    {%- endfor %}
where
    {%- for column in columns %}
    child.{{ column }} is not null and
    {%- endfor %}
    parent.{{ to_columns[0] }} is null

{% endtest %}

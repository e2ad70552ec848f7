{#
  The combination of `columns` is unique across the model (a composite primary key).
  Rows where any of the columns is null are compared as they are (null groups with null).
#}
{% test unique_combination(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as occurrences

from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}

{#
  `columns` are a primary key: never null, and unique together. One pass over the model
  (cheaper than unique + not_null per column on views that explode text).
#}
{% test primary_key(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as occurrences

from {{ model }}
group by {{ columns | join(', ') }}
having
    count(*) > 1
    {%- for column in columns %}
    or {{ column }} is null
    {%- endfor %}

{% endtest %}

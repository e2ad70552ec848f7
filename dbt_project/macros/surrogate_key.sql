{#
  md5 of the columns cast to text, nulls as empty strings, joined by '|'.
  Portable: md5, cast and || exist on every engine dbt targets here.
#}
{% macro surrogate_key(columns) -%}
    {{ return(adapter.dispatch('surrogate_key', 'tracehouse')(columns)) }}
{%- endmacro %}

{% macro default__surrogate_key(columns) -%}
    md5(
        {%- for column in columns %}
        coalesce(cast({{ column }} as {{ dbt.type_string() }}), '')
        {%- if not loop.last %} || '|' ||{% endif %}
        {%- endfor %}
    )
{%- endmacro %}

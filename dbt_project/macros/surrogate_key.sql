{#
  md5 of the columns cast to text, nulls as empty strings, joined by '|'.
  Portable: md5, cast and || exist on every engine dbt targets here.
#}
{% macro surrogate_key(columns) -%}
    md5(
        {%- for column in columns %}
        coalesce(cast({{ column }} as {{ dbt.type_string() }}), '')
        {%- if not loop.last %} || '|' ||{% endif %}
        {%- endfor %}
    )
{%- endmacro %}

{#
  The join condition of a relation with conversation columns to one with message rows, on
  the raw key (source, config, split, row_index) rather than on conversation_key: the key a
  view computes from the raw columns cannot carry a filter to the scan of raw.messages, the
  raw columns can (DuckDB then reads only the matching row groups' text).
#}
{% macro same_conversation(conversations, messages) -%}
    {{ conversations }}.source = {{ messages }}.source
    and {{ conversations }}.config = {{ messages }}.config
    and {{ conversations }}.split = {{ messages }}.split
    and {{ conversations }}.row_index = {{ messages }}.row_index
{%- endmacro %}

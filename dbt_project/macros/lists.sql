{#
  List helpers. Positions handed to models are zero-based.
#}

{#
  Select-list fragment: one output row per element of `list_expression`, with the element as
  `value_alias` and its zero-based position as `position_alias`.
#}
{% macro explode_with_position(list_expression, value_alias, position_alias) -%}
    {{ return(adapter.dispatch('explode_with_position', 'tracehouse')(list_expression, value_alias, position_alias)) }}
{%- endmacro %}

{% macro duckdb__explode_with_position(list_expression, value_alias, position_alias) -%}
    unnest({{ list_expression }}) as {{ value_alias }},
    generate_subscripts({{ list_expression }}, 1) - 1 as {{ position_alias }}
{%- endmacro %}

{# The element at a zero-based position (null when out of range). #}
{% macro list_element(list_expression, zero_based_position) -%}
    {{ return(adapter.dispatch('list_element', 'tracehouse')(list_expression, zero_based_position)) }}
{%- endmacro %}

{% macro duckdb__list_element(list_expression, zero_based_position) -%}
    {{ list_expression }}[({{ zero_based_position }}) + 1]
{%- endmacro %}

{# A field of a struct value (the blocks of parse_blocks). #}
{% macro struct_field(struct_expression, field_name) -%}
    {{ return(adapter.dispatch('struct_field', 'tracehouse')(struct_expression, field_name)) }}
{%- endmacro %}

{% macro duckdb__struct_field(struct_expression, field_name) -%}
    struct_extract({{ struct_expression }}, '{{ field_name }}')
{%- endmacro %}

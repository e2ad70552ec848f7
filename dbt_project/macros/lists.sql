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

{# A list of one element. #}
{% macro list_of(expression) -%}
    {{ return(adapter.dispatch('list_of', 'tracehouse')(expression)) }}
{%- endmacro %}

{% macro duckdb__list_of(expression) -%}
    [{{ expression }}]
{%- endmacro %}

{# The 1-based position of the first element equal to `value`; 0 or null when there is none. #}
{% macro list_position(list_expression, value) -%}
    {{ return(adapter.dispatch('list_position', 'tracehouse')(list_expression, value)) }}
{%- endmacro %}

{% macro duckdb__list_position(list_expression, value) -%}
    list_position({{ list_expression }}, {{ value }})
{%- endmacro %}

{#
  An integer that tells the rows of a table apart within a query (the parse's windows and
  joins run on it rather than on a text key): DuckDB's rowid.
#}
{% macro row_identity() -%}
    {{ return(adapter.dispatch('row_identity', 'tracehouse')()) }}
{%- endmacro %}

{% macro duckdb__row_identity() -%}
    rowid
{%- endmacro %}

{# The text elements of a list joined by `separator`. #}
{% macro list_join(list_expression, separator) -%}
    {{ return(adapter.dispatch('list_join', 'tracehouse')(list_expression, separator)) }}
{%- endmacro %}

{% macro duckdb__list_join(list_expression, separator) -%}
    array_to_string({{ list_expression }}, {{ separator }})
{%- endmacro %}

{# Spark versions of macros/lists.sql: `[i]` is 0-based, element_at 1-based, posexplode 0-based. #}

{% macro spark__explode_with_position(list_expression, value_alias, position_alias) -%}
    posexplode({{ list_expression }}) as ({{ position_alias }}, {{ value_alias }})
{%- endmacro %}

{# try_element_at: null out of range, as DuckDB's `[]` (element_at fails there under ANSI). #}
{% macro spark__list_element(list_expression, zero_based_position) -%}
    try_element_at({{ list_expression }}, ({{ zero_based_position }}) + 1)
{%- endmacro %}

{% macro spark__list_of(expression) -%}
    array({{ expression }})
{%- endmacro %}

{# array_position is 1-based, and 0 when absent. #}
{% macro spark__list_position(list_expression, value) -%}
    array_position({{ list_expression }}, {{ value }})
{%- endmacro %}

{% macro spark__list_join(list_expression, separator) -%}
    array_join({{ list_expression }}, {{ separator }})
{%- endmacro %}

{#
  Spark has no row id that stays the same between two reads of a view (the parse reads the
  messages view more than once): the raw key itself, as text, tells the rows apart.
#}
{% macro spark__row_identity() -%}
    concat_ws('|', source, config, split, cast(row_index as string), cast(message_index as string))
{%- endmacro %}

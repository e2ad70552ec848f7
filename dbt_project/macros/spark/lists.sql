{# Spark versions of macros/lists.sql: `[i]` is 0-based, element_at 1-based, posexplode 0-based. #}

{% macro spark__explode_with_position(list_expression, value_alias, position_alias) -%}
    posexplode({{ list_expression }}) as ({{ position_alias }}, {{ value_alias }})
{%- endmacro %}

{# try_element_at: null out of range, as DuckDB's `[]` (element_at fails there under ANSI). #}
{% macro spark__list_element(list_expression, zero_based_position) -%}
    try_element_at({{ list_expression }}, ({{ zero_based_position }}) + 1)
{%- endmacro %}

{% macro spark__struct_field(struct_expression, field_name) -%}
    {{ struct_expression }}.{{ field_name }}
{%- endmacro %}

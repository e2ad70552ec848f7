{# Spark versions of macros/lists.sql and macros/tags.sql (Java regex, 1-based arrays). #}

{% macro spark__explode_with_position(list_expression, value_alias, position_alias) -%}
    posexplode({{ list_expression }}) as ({{ position_alias }}, {{ value_alias }})
{%- endmacro %}

{% macro spark__list_element(list_expression, zero_based_position) -%}
    try_element_at({{ list_expression }}, ({{ zero_based_position }}) + 1)
{%- endmacro %}

{% macro spark__list_length(list_expression) -%}
    size({{ list_expression }})
{%- endmacro %}

{# limit -1 keeps trailing empty pieces, as DuckDB's regexp_split_to_array does. #}
{% macro spark__regex_split(expression, pattern) -%}
    split({{ expression }}, '{{ pattern }}', -1)
{%- endmacro %}

{# Group 0 (the whole match): Spark's default group is 1. #}
{% macro spark__regex_extract_all(expression, pattern) -%}
    regexp_extract_all({{ expression }}, '{{ pattern }}', 0)
{%- endmacro %}

{# Spark versions of macros/declared_tools.sql. #}

{#
  Spark has no ordered string aggregate: the (position, text) pairs are collected, sorted by
  position and joined (array_join skips nulls). A group whose texts are all null gives ''
  where DuckDB gives null.
#}
{% macro spark__ordered_text_concat(expression, order_expression) -%}
    array_join(
        transform(
            array_sort(collect_list(named_struct('position', {{ order_expression }}, 'text', {{ expression }}))),
            part -> part.text
        ),
        ''
    )
{%- endmacro %}

{# Spark's regexp_replace replaces every match; the replacement must not hold `$` or `\`. #}
{% macro spark__regex_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, {{ tracehouse.spark_regex_literal(pattern) }}, '{{ replacement }}')
{%- endmacro %}

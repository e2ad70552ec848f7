{# Spark versions of macros/declared_tools.sql. #}

{# Spark's regexp_replace replaces every match; the replacement must not hold `$` or `\`. #}
{% macro spark__regex_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, {{ tracehouse.spark_regex_literal(pattern) }}, '{{ replacement }}')
{%- endmacro %}

{#
  Spark versions of macros/tags.sql. Patterns are written once, in syntax both RE2 and Java
  regex accept; a Spark SQL string literal treats `\` as an escape character (DuckDB's does
  not), so spark_regex_literal doubles backslashes and escapes quotes.
#}

{% macro spark_regex_literal(pattern) -%}
    '{{ pattern | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}

{# limit -1 keeps trailing empty pieces, as DuckDB's regexp_split_to_array does. #}
{% macro spark__regex_split(expression, pattern) -%}
    split({{ expression }}, {{ tracehouse.spark_regex_literal(pattern) }}, -1)
{%- endmacro %}

{# Group 0 (the whole match): Spark's default group is 1. #}
{% macro spark__regex_extract_all(expression, pattern) -%}
    regexp_extract_all({{ expression }}, {{ tracehouse.spark_regex_literal(pattern) }}, 0)
{%- endmacro %}

{#
  Java's regex recurses once per repetition of a group, so runs of characters outside strings
  are taken whole, possessively (syntax RE2 lacks): one repetition per string, `<` or run,
  not per character.
#}
{% macro spark__length_before_close_outside_strings(expression, close_tag) -%}
    length(regexp_extract(
        replace(replace({{ expression }}, r'\\', chr(1) || chr(1)), r'\"', chr(2) || chr(2)),
        r'^((?:[^"<]++|"[^"]*+"|<)*?){{ close_tag }}',
        1
    ))
{%- endmacro %}

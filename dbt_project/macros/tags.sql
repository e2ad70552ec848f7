{#
  Tokenizing by tag boundaries: one split and one extract per message, both linear scans.
  Never `(?s)<think>(.*?)</think>`: lazy patterns over long values are the slow path.
#}

{# The pieces of text between matches, empty pieces kept: n matches give n + 1 pieces. #}
{% macro regex_split(expression, pattern) -%}
    {{ return(adapter.dispatch('regex_split', 'tracehouse')(expression, pattern)) }}
{%- endmacro %}

{% macro duckdb__regex_split(expression, pattern) -%}
    regexp_split_to_array({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{# Every match, in order. #}
{% macro regex_extract_all(expression, pattern) -%}
    {{ return(adapter.dispatch('regex_extract_all', 'tracehouse')(expression, pattern)) }}
{%- endmacro %}

{% macro duckdb__regex_extract_all(expression, pattern) -%}
    regexp_extract_all({{ expression }}, '{{ pattern }}')
{%- endmacro %}

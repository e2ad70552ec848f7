{#
  Text helpers that follow Python's notion of white space (str.isspace), so that counts
  match `len(text.split())` and `text.strip()` exactly.
#}

{% macro python_whitespace_codepoints() -%}
    {{ return([9, 10, 11, 12, 13, 28, 29, 30, 31, 32, 133, 160, 5760,
               8192, 8193, 8194, 8195, 8196, 8197, 8198, 8199, 8200, 8201, 8202,
               8232, 8233, 8239, 8287, 12288]) }}
{%- endmacro %}

{# A regex character class of Python white space, in syntax both RE2 and Java accept. #}
{% macro python_whitespace_class(negated=false) -%}
    [{% if negated %}^{% endif %}\x{09}-\x{0d}\x{1c}-\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]
{%- endmacro %}

{# The same characters as a SQL string expression, for trim functions. #}
{% macro python_whitespace_chars() -%}
    {%- for codepoint in tracehouse.python_whitespace_codepoints() -%}
        chr({{ codepoint }}){% if not loop.last %} || {% endif %}
    {%- endfor -%}
{%- endmacro %}

{# Python's str.strip(): white space removed from both ends. #}
{% macro strip_whitespace(expression) -%}
    {{ return(adapter.dispatch('strip_whitespace', 'tracehouse')(expression)) }}
{%- endmacro %}

{% macro duckdb__strip_whitespace(expression) -%}
    trim({{ expression }}, {{ tracehouse.python_whitespace_chars() }})
{%- endmacro %}

{# Python's str.lstrip(). #}
{% macro lstrip_whitespace(expression) -%}
    {{ return(adapter.dispatch('lstrip_whitespace', 'tracehouse')(expression)) }}
{%- endmacro %}

{% macro duckdb__lstrip_whitespace(expression) -%}
    ltrim({{ expression }}, {{ tracehouse.python_whitespace_chars() }})
{%- endmacro %}

{# Python's len(text.split()): the number of maximal runs of non-white-space characters. #}
{% macro word_count(expression) -%}
    {{ return(adapter.dispatch('word_count', 'tracehouse')(expression)) }}
{%- endmacro %}

{% macro duckdb__word_count(expression) -%}
    coalesce(len(regexp_extract_all({{ expression }}, '{{ tracehouse.python_whitespace_class(negated=true) }}+')), 0)
{%- endmacro %}

{# Substring test (case-sensitive). #}
{% macro text_contains(haystack, needle) -%}
    {{ return(adapter.dispatch('text_contains', 'tracehouse')(haystack, needle)) }}
{%- endmacro %}

{% macro default__text_contains(haystack, needle) -%}
    (position({{ needle }} in {{ haystack }}) > 0)
{%- endmacro %}

{% macro duckdb__text_contains(haystack, needle) -%}
    contains({{ haystack }}, {{ needle }})
{%- endmacro %}

{# Whether a regular expression matches anywhere in the text. #}
{% macro regex_matches(expression, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'tracehouse')(expression, pattern)) }}
{%- endmacro %}

{% macro duckdb__regex_matches(expression, pattern) -%}
    regexp_matches({{ expression }}, '{{ pattern }}')
{%- endmacro %}

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

{# Python's str.strip(): white space removed from both ends. #}
{% macro strip_whitespace(expression) -%}
    {{ return(adapter.dispatch('strip_whitespace', 'tracehouse')(expression)) }}
{%- endmacro %}

{#
  DuckDB's trim(text, characters) walks the whole string (7 s for 150 MB); two anchored
  regexp replacements touch only the ends (RE2 runs an end-anchored pattern backwards).
#}
{% macro duckdb__strip_whitespace(expression) -%}
    regexp_replace(
        regexp_replace({{ expression }}, '^{{ tracehouse.python_whitespace_class() }}+', ''),
        '{{ tracehouse.python_whitespace_class() }}+$', ''
    )
{%- endmacro %}

{# Python's str.lstrip(). #}
{% macro lstrip_whitespace(expression) -%}
    {{ return(adapter.dispatch('lstrip_whitespace', 'tracehouse')(expression)) }}
{%- endmacro %}

{% macro duckdb__lstrip_whitespace(expression) -%}
    regexp_replace({{ expression }}, '^{{ tracehouse.python_whitespace_class() }}+', '')
{%- endmacro %}

{# Whether the text is empty or only white space (Python: not text.strip()). #}
{% macro is_blank(expression) -%}
    {{ return(adapter.dispatch('is_blank', 'tracehouse')(expression)) }}
{%- endmacro %}

{% macro duckdb__is_blank(expression) -%}
    not regexp_matches({{ expression }}, '{{ tracehouse.python_whitespace_class(negated=true) }}')
{%- endmacro %}

{# Python's len(text.split()): the number of maximal runs of non-white-space characters. #}
{% macro word_count(expression) -%}
    {{ return(adapter.dispatch('word_count', 'tracehouse')(expression)) }}
{%- endmacro %}

{#
  Counting 36 million words with a regexp costs ~10 s (per-match overhead), so text made only
  of printable ASCII, spaces and newlines (nearly all reasoning) is split on spaces instead;
  any other character sends the text to the exact Unicode-aware regexp.
#}
{% macro duckdb__word_count(expression) -%}
    case
        when regexp_matches({{ expression }}, '[^\x{0a}\x{20}-\x{7e}]')
            then len(regexp_extract_all({{ expression }}, '{{ tracehouse.python_whitespace_class(negated=true) }}+'))
        else len(list_filter(string_split(replace({{ expression }}, chr(10), ' '), ' '), lambda word: word != ''))
    end
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

{# Length in bytes of the UTF-8 text (cheaper than characters; exact for ASCII needles). #}
{% macro byte_length(expression) -%}
    {{ return(adapter.dispatch('byte_length', 'tracehouse')(expression)) }}
{%- endmacro %}

{% macro default__byte_length(expression) -%}
    octet_length({{ expression }})
{%- endmacro %}

{% macro duckdb__byte_length(expression) -%}
    strlen({{ expression }})
{%- endmacro %}

{#
  Text helpers that follow Python's notion of white space (str.isspace), so that counts
  match `len(text.split())` and `text.strip()` exactly.
#}

{# A regex character class of Python white space, in syntax both RE2 and Java accept. #}
{% macro python_whitespace_class(negated=false) -%}
    [{% if negated %}^{% endif %}\x{09}-\x{0d}\x{1c}-\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]
{%- endmacro %}

{# Python's str.strip(): white space removed from both ends. #}
{% macro strip_whitespace(expression) -%}
    {{ return(adapter.dispatch('strip_whitespace', 'tracehouse')(expression)) }}
{%- endmacro %}

{#
  DuckDB's trim(text, characters) walks the whole string; two anchored regexp replacements
  touch only the ends (RE2 runs an end-anchored pattern backwards).
#}
{% macro duckdb__strip_whitespace(expression) -%}
    regexp_replace(
        regexp_replace({{ expression }}, '^{{ tracehouse.python_whitespace_class() }}+', ''),
        '{{ tracehouse.python_whitespace_class() }}+$', ''
    )
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
  A regexp that counts words pays per match, several times the splits below. Text whose only
  white space is spaces and newlines (ASCII without tab, CR, VT, FF or \x1c-\x1f: nearly all
  reasoning) is cut at newlines, then at spaces, and the non-empty pieces counted (no list of
  words is built or filtered). ASCII is detected by comparing byte and character lengths
  (no scan of the text); any other text goes to the exact Unicode-aware regexp.
#}
{% macro duckdb__word_count(expression) -%}
    case
        when strlen({{ expression }}) != length({{ expression }})
            {%- for codepoint in [9, 11, 12, 13, 28, 29, 30, 31] %}
            or contains({{ expression }}, chr({{ codepoint }}))
            {%- endfor %}
            then len(regexp_extract_all({{ expression }}, '{{ tracehouse.python_whitespace_class(negated=true) }}+'))
        else cast(list_sum(list_transform(
            string_split({{ expression }}, chr(10)),
            lambda line: list_sum(list_transform(string_split(line, ' '), lambda word: cast(word != '' as integer)))
        )) as bigint)
    end
{%- endmacro %}

{# Substring test (case-sensitive). #}
{% macro text_contains(haystack, needle) -%}
    (position({{ needle }} in {{ haystack }}) > 0)
{%- endmacro %}

{# Whether a regular expression matches anywhere in the text. #}
{% macro regex_matches(expression, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'tracehouse')(expression, pattern)) }}
{%- endmacro %}

{% macro duckdb__regex_matches(expression, pattern) -%}
    regexp_matches({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{# Whether a regular expression matches the whole text. #}
{% macro regex_full_match(expression, pattern) -%}
    {{ return(adapter.dispatch('regex_full_match', 'tracehouse')(expression, pattern)) }}
{%- endmacro %}

{% macro duckdb__regex_full_match(expression, pattern) -%}
    regexp_full_match({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{# Length in bytes of the UTF-8 text. #}
{% macro byte_length(expression) -%}
    {{ return(adapter.dispatch('byte_length', 'tracehouse')(expression)) }}
{%- endmacro %}

{% macro default__byte_length(expression) -%}
    octet_length({{ expression }})
{%- endmacro %}

{% macro duckdb__byte_length(expression) -%}
    strlen({{ expression }})
{%- endmacro %}

{#
  Whether `expected` is the text at character `position` (1-based) of `text`; true when
  `expected` is null. A character position is found by walking the text from its start, so
  where the caller knows the text is ASCII (`is_ascii`: characters are bytes) DuckDB reads a
  byte slice instead, which costs nothing whatever the position.
#}
{% macro text_at(text, is_ascii, position, expected) -%}
    {{ return(adapter.dispatch('text_at', 'tracehouse')(text, is_ascii, position, expected)) }}
{%- endmacro %}

{% macro default__text_at(text, is_ascii, position, expected) -%}
    coalesce(substring({{ text }}, {{ position }}, length({{ expected }})) = {{ expected }}, true)
{%- endmacro %}

{% macro duckdb__text_at(text, is_ascii, position, expected) -%}
    coalesce(
        case
            when {{ is_ascii }}
                then encode({{ text }})[{{ position }}:{{ position }} + strlen({{ expected }}) - 1]
                = encode({{ expected }})
            else substring({{ text }}, {{ position }}, length({{ expected }})) = {{ expected }}
        end,
        true
    )
{%- endmacro %}

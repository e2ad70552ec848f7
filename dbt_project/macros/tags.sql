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

{#
  The length of the text before the first `close_tag` that lies outside JSON string literals
  in `expression`, or 0 when there is none (or it is at the start). Escaped backslashes and
  quotes are masked first, two characters for two so that positions hold, and a string
  literal is then `"[^"]*"`. int_blocks_parsed uses it for a container whose next closing
  tag does not end a valid JSON body: a valid body holds no closing tag outside its strings,
  so its only possible valid end is this one, found in one linear scan.
#}
{% macro length_before_close_outside_strings(expression, close_tag) -%}
    {{ return(adapter.dispatch('length_before_close_outside_strings', 'tracehouse')(expression, close_tag)) }}
{%- endmacro %}

{# RE2 runs the lazy pattern in linear time. #}
{% macro duckdb__length_before_close_outside_strings(expression, close_tag) -%}
    length(regexp_extract(
        replace(replace({{ expression }}, '\\', chr(1) || chr(1)), '\"', chr(2) || chr(2)),
        '^((?:[^"]|"[^"]*")*?){{ close_tag }}',
        1
    ))
{%- endmacro %}

{#
  Helpers of int_tools_declared: the tools list of a system prompt's `<tools>` block.
#}

{#
  The body of a `<tools>` block, stripped of white space, as a JSON list text, or null: a
  JSON list as it is; one JSON object as a list of it; JSON objects one per line (as Qwen's
  chat templates write the tools) as the list of them (valid JSON has no raw line break
  inside a string, so the line breaks are exactly the separators); a list or an object
  written as a Python literal (hermes-function-calling-v1's prompts: single quotes, True)
  read as JSON (python_literal_json). Anything else (objects with no separator between
  them) is null.
#}
{% macro tools_block_list(stripped) -%}
    {%- set one_per_line = "'[' || " ~ tracehouse.regex_replace_all(stripped, '[ \\t\\r]*\\n[ \\t\\r\\n]*', ',') ~ " || ']'" -%}
    case
        when left({{ stripped }}, 1) = '[' and {{ tracehouse.json_strict_valid(stripped) }}
            then {{ stripped }}
        when left({{ stripped }}, 1) = '[' then {{ tracehouse.python_literal_json(stripped) }}
        when left({{ stripped }}, 1) != '{' then null
        when {{ tracehouse.json_strict_valid(stripped) }}
            then '[' || {{ stripped }} || ']'
        when {{ tracehouse.json_strict_valid(one_per_line) }}
            then {{ one_per_line }}
        else '[' || {{ tracehouse.python_literal_json(stripped) }} || ']'
    end
{%- endmacro %}

{# Every match of a regular expression replaced by a literal text. #}
{% macro regex_replace_all(expression, pattern, replacement) -%}
    {{ return(adapter.dispatch('regex_replace_all', 'tracehouse')(expression, pattern, replacement)) }}
{%- endmacro %}

{% macro duckdb__regex_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

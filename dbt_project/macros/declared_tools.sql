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
  them) is null. With read_python_literals false the Python literals are null too: a view
  the stock DuckDB shell reads cannot call tracehouse's function.
#}
{% macro tools_block_list(stripped, read_python_literals=true) -%}
    {%- set python_literal = tracehouse.python_literal_json(stripped) if read_python_literals
        else 'cast(null as ' ~ dbt.type_string() ~ ')' -%}
    {%- set one_per_line = "'[' || " ~ tracehouse.regex_replace_all(stripped, '[ \\t\\r]*\\n[ \\t\\r\\n]*', ',') ~ " || ']'" -%}
    case
        when left({{ stripped }}, 1) = '[' and {{ tracehouse.json_strict_valid(stripped) }}
            then {{ stripped }}
        when left({{ stripped }}, 1) = '[' then {{ python_literal }}
        when left({{ stripped }}, 1) != '{' then null
        when {{ tracehouse.json_strict_valid(stripped) }}
            then '[' || {{ stripped }} || ']'
        when {{ tracehouse.json_strict_valid(one_per_line) }}
            then {{ one_per_line }}
        else '[' || {{ python_literal }} || ']'
    end
{%- endmacro %}

{# Every match of a regular expression replaced by a literal text. #}
{% macro regex_replace_all(expression, pattern, replacement) -%}
    {{ return(adapter.dispatch('regex_replace_all', 'tracehouse')(expression, pattern, replacement)) }}
{%- endmacro %}

{% macro duckdb__regex_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{#
  The fields of one tool declaration (a JSON element of a tools list). OpenAI's shape when
  `function` is an object (`{type, function: {name, description, parameters}}`), else a flat
  one: Anthropic's `{name, description, input_schema}`, OpenAI Responses' `{type, name,
  description, parameters}`. The element is read once, at the paths the wanted fields need:
      {% set paths = tool_declaration_paths(['name', 'type']) %}
      select {{ json_extract_paths('tool_element', paths) }} as tool_fields ...
      select {{ tool_declaration_field('tool_fields', paths, 'name') }} as name_json ...
  each field as JSON. int_tools_declared keeps the name and type; the view
  tool_declaration_texts reads the description and parameters when queried.
#}
{% macro tool_declaration_rules() -%}
    {{ return({
        'type': {'openai': '$.type', 'flat': ['$.type']},
        'name': {'openai': '$.function.name', 'flat': ['$.name']},
        'description': {'openai': '$.function.description', 'flat': ['$.description']},
        'parameters': {'openai': '$.function.parameters', 'flat': ['$.input_schema', '$.parameters']},
    }) }}
{%- endmacro %}

{% macro tool_declaration_paths(fields) -%}
    {%- set paths = ['$.function'] -%}
    {%- for field in fields -%}
        {%- set rule = tracehouse.tool_declaration_rules()[field] -%}
        {%- for path in [rule.openai] + rule.flat if path not in paths -%}
            {%- do paths.append(path) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(paths) }}
{%- endmacro %}

{% macro tool_declaration_field(fields, paths, field) -%}
    {%- set rule = tracehouse.tool_declaration_rules()[field] -%}
    {%- set flat = [] -%}
    {%- for path in rule.flat -%}
        {%- do flat.append(tracehouse.json_fields_element(fields, paths.index(path) + 1)) -%}
    {%- endfor -%}
    case
        when {{ tracehouse.json_kind(tracehouse.json_fields_element(fields, paths.index('$.function') + 1)) }} = 'object'
            then {{ tracehouse.json_fields_element(fields, paths.index(rule.openai) + 1) }}
        else {% if flat | length > 1 %}coalesce({{ flat | join(', ') }}){% else %}{{ flat[0] }}{% endif %}
    end
{%- endmacro %}

{#
  OpenAI chat and Anthropic Messages messages land in raw.messages as their JSON
  (value_format 'openai' | 'anthropic'). The staging view gives each its Hermes form, written
  from its fields, so that the one parse (int_blocks_parsed) reads every shape: offsets of
  structured messages point into that form, which the view computes whenever it is read and
  which is never stored. The rules (the trace_formats doc block):

  - reasoning (OpenAI `reasoning_content` or `reasoning`, an Anthropic `thinking` block) is a
    `<think>` block; `redacted_thinking` an empty one;
  - text (a `content` string, text parts, Anthropic `text` blocks) is written as it is, so
    tags a model wrote in it are parsed as in Hermes;
  - a call (OpenAI `tool_calls[]` or `function_call`, Anthropic `tool_use`) is a `<tool_call>`
    whose body is `{"id": ..., "name": ..., "arguments": ...}`: arguments given as a string
    are written as that text (so arguments that are not JSON make the body invalid), and
    arguments that are valid JSON but not an object are written without the name (the call
    is malformed, as a Hermes call body that is not an object);
  - a result (an OpenAI `tool`/`function` message, an Anthropic `tool_result` block) is a
    `<tool_response>` whose body is `{"tool_call_id": ..., "name": ..., "content": ...}`:
    content that is JSON text is written as that JSON, other text as a JSON string, and
    `"is_error": true` is kept (an Anthropic block's, and an OpenAI tool message's: OpenAI has
    no such key, but tracehouse's `messages` export of an Anthropic source writes it there). An OpenAI tool message with neither `tool_call_id` nor
    `name` whose `content` starts with `<tool_response>` is a Hermes tool message carried as
    is (tracehouse's `messages` export writes a tool message it cannot structure so), and is
    read as that text.
#}

{% macro hermes_text(value, value_format, source_role) -%}
    {{ return(adapter.dispatch('hermes_text', 'tracehouse')(value, value_format, source_role)) }}
{%- endmacro %}

{% macro duckdb__hermes_text(value, value_format, source_role) -%}
    case
        when {{ value_format }} = 'text' or {{ value }} is null then {{ value }}
        when {{ value_format }} = 'openai' and {{ source_role }} in ('tool', 'function')
            and json_extract({{ value }}, '$.tool_call_id') is null and json_extract({{ value }}, '$.name') is null
            and starts_with(json_extract_string({{ value }}, '$.content'), '<tool_response>')
            then json_extract_string({{ value }}, '$.content')
        when {{ value_format }} = 'openai' and {{ source_role }} in ('tool', 'function')
            then '<tool_response>' || {{ tracehouse.duckdb__result_body(
                value ~ "->'$.tool_call_id'", value ~ "->'$.name'", value ~ "->'$.content'",
                value ~ "->'$.is_error'"
            ) }} || '</tool_response>'
        when {{ value_format }} = 'openai'
            then coalesce('<think>' || {{ tracehouse.duckdb__json_as_text(value ~ "->'$.reasoning_content'") }} || '</think>', '')
                || coalesce('<think>' || {{ tracehouse.duckdb__json_as_text(value ~ "->'$.reasoning'") }} || '</think>', '')
                || {{ tracehouse.duckdb__parts_text(value ~ "->'$.content'") }}
                || coalesce(array_to_string(list_transform(
                    json_extract({{ value }}, '$.tool_calls[*]'),
                    lambda call: '<tool_call>' || {{ tracehouse.duckdb__call_body(
                        "call->'$.id'", "call->'$.function.name'", "call->'$.function.arguments'"
                    ) }} || '</tool_call>'
                ), ''), '')
                || case when json_exists({{ value }}, '$.function_call') then '<tool_call>' || {{ tracehouse.duckdb__call_body(
                    'null', value ~ "->'$.function_call.name'", value ~ "->'$.function_call.arguments'"
                ) }} || '</tool_call>' else '' end
        when {{ value_format }} = 'anthropic' and json_type({{ value }}->'$.content') = 'ARRAY'
            then array_to_string(list_transform(
                json_extract({{ value }}, '$.content[*]'),
                lambda block: case block->>'$.type'
                    when 'text' then coalesce(block->>'$.text', '')
                    when 'thinking' then '<think>' || coalesce(block->>'$.thinking', '') || '</think>'
                    when 'redacted_thinking' then '<think></think>'
                    when 'tool_use' then '<tool_call>' || {{ tracehouse.duckdb__call_body(
                        "block->'$.id'", "block->'$.name'", "block->'$.input'"
                    ) }} || '</tool_call>'
                    when 'tool_result' then '<tool_response>' || {{ tracehouse.duckdb__result_body(
                        "block->'$.tool_use_id'", 'null', "block->'$.content'", "block->'$.is_error'"
                    ) }} || '</tool_response>'
                    else ''
                end
            ), '')
        when {{ value_format }} = 'anthropic'
            then coalesce({{ tracehouse.duckdb__json_as_text(value ~ "->'$.content'") }}, '')
    end
{%- endmacro %}

{#
  The role the marts use (system, human, gpt, tool) for a role as the source gave it. An
  Anthropic user message of tool_result blocks is a tool message.
#}
{% macro mart_role(value, value_format, source_role) -%}
    case
        when {{ source_role }} = 'user' and {{ value_format }} = 'anthropic'
            and {{ tracehouse.has_tool_result_block(value) }}
            then 'tool'
        when {{ source_role }} = 'user' then 'human'
        when {{ source_role }} = 'assistant' then 'gpt'
        when {{ source_role }} = 'function' then 'tool'
        when {{ source_role }} = 'developer' then 'system'
        else {{ source_role }}
    end
{%- endmacro %}

{# Whether an Anthropic message's `content` is a list holding a tool_result block. #}
{% macro has_tool_result_block(value) -%}
    {{ return(adapter.dispatch('has_tool_result_block', 'tracehouse')(value)) }}
{%- endmacro %}

{% macro duckdb__has_tool_result_block(value) -%}
    (json_type({{ value }}->'$.content') = 'ARRAY'
        and list_contains(list_transform(json_extract({{ value }}, '$.content[*]'), lambda block: block->>'$.type'), 'tool_result'))
{%- endmacro %}

{# A JSON value as text: a string decoded, anything else its JSON text; null when absent. #}
{% macro duckdb__json_as_text(json_value) -%}
    case
        when json_type({{ json_value }}) = 'VARCHAR' then {{ json_value }}->>'$'
        when json_type({{ json_value }}) != 'NULL' then cast({{ json_value }} as varchar)
    end
{%- endmacro %}

{# The text of a `content` value: a string, or the `text` of its text parts joined. #}
{% macro duckdb__parts_text(content) -%}
    case
        when json_type({{ content }}) = 'ARRAY' then array_to_string(list_transform(
            json_extract({{ content }}, '$[*]'),
            lambda part: case when part->>'$.type' = 'text' then coalesce(part->>'$.text', '') else '' end
        ), '')
        else coalesce({{ tracehouse.duckdb__json_as_text(content) }}, '')
    end
{%- endmacro %}

{# A call's Hermes body from its id, name and arguments (JSON values, or the text null). #}
{% macro duckdb__call_body(call_id, name, arguments) -%}
    {%- set arguments_text = tracehouse.duckdb__json_as_text(arguments) -%}
    '{'
    || coalesce('"id": ' || cast({{ call_id }} as varchar) || ', ', '')
    || case
        when not json_valid({{ arguments_text }}) then coalesce('"name": ' || cast({{ name }} as varchar) || ', ', '')
        when json_type({{ arguments_text }}) = 'OBJECT' then coalesce('"name": ' || cast({{ name }} as varchar) || ', ', '')
        else ''
    end
    || '"arguments": ' || coalesce({{ arguments_text }}, 'null')
    || '}'
{%- endmacro %}

{# A result's Hermes body from its call id, name, content and is_error (JSON values). #}
{% macro duckdb__result_body(call_id, name, content, is_error) -%}
    {%- set content_text = tracehouse.duckdb__parts_text(content) -%}
    '{'
    || coalesce('"tool_call_id": ' || cast({{ call_id }} as varchar) || ', ', '')
    || coalesce('"name": ' || cast({{ name }} as varchar) || ', ', '')
    || '"content": ' || case
        when json_type({{ content }}) not in ('VARCHAR', 'ARRAY') then cast({{ content }} as varchar)
        when {{ tracehouse.json_strict_valid(content_text) }} then {{ content_text }}
        else cast(to_json({{ content_text }}) as varchar)
    end
    || case when cast({{ is_error }} as varchar) = 'true' then ', "is_error": true' else '' end
    || '}'
{%- endmacro %}

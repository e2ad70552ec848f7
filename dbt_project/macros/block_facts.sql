{#
  What the parse reads from one block body, given the tag that opened it (the tool_call_rules,
  failure_rules and turn_rules doc blocks). int_blocks_parsed applies it to every piece of a
  message (the text between two tags, taken as the body of the block its tag opens) and again
  to the few bodies that span several pieces, so that no later model reads message text.

  Two steps, so that each JSON body is parsed once: body_json reads the JSON fields of a call
  or response body (null for any other body, and for one that is not valid JSON), body_facts
  derives the facts from them, in the select after:
      select *, {{ body_json('gap', 'tag') }} as json_fields from ...
      select *, {{ body_facts('gap', 'tag', 'json_fields', 'message_role', 'is_first') }} as facts from ...

  A call's fields: name, arguments, id, and a fourth only when the body is a Python literal
  read as JSON (python_literal_paths). A response's: tool_call_id, name, content and its
  exit_code, error, success and status, is_error.
#}

{% macro call_paths() -%}
    {{ return(['$.name', '$.arguments', '$.id']) }}
{%- endmacro %}

{% macro response_paths() -%}
    {{ return([
        '$.tool_call_id', '$.name', '$.content', '$.content.exit_code', '$.content.error',
        '$.content.success', '$.content.status', '$.is_error',
    ]) }}
{%- endmacro %}

{% macro body_json(body, opening_tag) -%}
    case
        when {{ opening_tag }} = '<tool_call>'
            then coalesce(
                {{ tracehouse.json_extract_paths_or_null(body, tracehouse.call_paths()) }},
                {{ tracehouse.python_literal_paths(body, tracehouse.call_paths()) }}
            )
        when {{ opening_tag }} = '<tool_response>'
            then {{ tracehouse.json_extract_paths_or_null(body, tracehouse.response_paths()) }}
    end
{%- endmacro %}

{#
  A struct with every field of block_facts_fields; only those of the opening tag's kind are
  set: a call's is_valid_json, is_python_literal, tool_name, arguments_hash, tool_call_id (its
  id); a response's is_valid_json,
  tool_name, tool_call_id, content_kind, content_chars, error_kind, legacy_error (its first
  response only); a think block's think_words; a text's is_blank and, in a human message,
  mentions_iteration_limit.
#}
{% macro body_facts(body, opening_tag, json_fields, message_role, is_first_response) -%}
    {%- set field = tracehouse.json_fields_element -%}
    {%- set content = field(json_fields, 3) -%}
    case
        when {{ opening_tag }} = '<tool_call>' then {{ tracehouse.facts_struct({
            'is_valid_json': json_fields ~ ' is not null and ' ~ field(json_fields, 4) ~ ' is null',
            'is_python_literal': field(json_fields, 4) ~ ' is not null',
            'tool_name': tracehouse.json_string_or_null(field(json_fields, 1)),
            'arguments_hash': 'md5(' ~ tracehouse.json_to_text(field(json_fields, 2)) ~ ')',
            'tool_call_id': tracehouse.json_scalar_text(field(json_fields, 3)),
        }) }}
        when {{ opening_tag }} = '<tool_response>' then {{ tracehouse.facts_struct({
            'is_valid_json': json_fields ~ ' is not null',
            'tool_call_id': tracehouse.json_scalar_text(field(json_fields, 1)),
            'tool_name': tracehouse.json_string_or_null(field(json_fields, 2)),
            'content_kind': tracehouse.json_kind(content),
            'content_chars': "case when " ~ json_fields ~ " is null then length(" ~ tracehouse.strip_whitespace(body) ~ ")"
                ~ " when " ~ tracehouse.json_kind(content) ~ " = 'string' then length(" ~ tracehouse.json_text(content) ~ ")"
                ~ " else length(" ~ tracehouse.json_to_text(content) ~ ") end",
            'error_kind': tracehouse.response_error_kind(body, json_fields),
            'legacy_error': tracehouse.legacy_error(body, json_fields, is_first_response),
        }) }}
        when {{ opening_tag }} = '<think>' then {{ tracehouse.facts_struct({
            'think_words': tracehouse.word_count(body),
        }) }}
        else {{ tracehouse.facts_struct({
            'is_blank': tracehouse.is_blank(body),
            'mentions_iteration_limit': "case when " ~ message_role ~ " = 'human' then "
                ~ tracehouse.text_contains(body, "'maximum number of tool-calling iterations'") ~ " end",
        }) }}
    end
{%- endmacro %}

{# The n-th (1-based) value of a body_json list. #}
{% macro json_fields_element(json_fields, n) -%}
    {{ tracehouse.list_element(json_fields, n - 1) }}
{%- endmacro %}

{# Every field of the facts struct, in one order and type. #}
{% macro block_facts_fields() -%}
    {{ return([
        ('is_valid_json', 'boolean'),
        ('tool_name', dbt.type_string()),
        ('arguments_hash', dbt.type_string()),
        ('tool_call_id', dbt.type_string()),
        ('content_kind', dbt.type_string()),
        ('content_chars', 'bigint'),
        ('error_kind', dbt.type_string()),
        ('legacy_error', 'boolean'),
        ('think_words', 'bigint'),
        ('is_blank', 'boolean'),
        ('mentions_iteration_limit', 'boolean'),
        ('is_python_literal', 'boolean'),
    ]) }}
{%- endmacro %}

{# A facts struct: `values` sets some fields, the others are null. #}
{% macro facts_struct(values) -%}
    {{ return(adapter.dispatch('facts_struct', 'tracehouse')(values)) }}
{%- endmacro %}

{% macro duckdb__facts_struct(values) -%}
    {
        {%- for name, type in tracehouse.block_facts_fields() %}
        '{{ name }}': cast({{ values.get(name, 'null') }} as {{ type }}){% if not loop.last %},{% endif %}
        {%- endfor %}
    }
{%- endmacro %}

{# A JSON string, number or boolean as text; null for anything else. #}
{% macro json_scalar_text(json_value) -%}
    case when {{ tracehouse.json_kind(json_value) }} in ('string', 'number', 'boolean')
        then {{ tracehouse.json_text(json_value) }} end
{%- endmacro %}

{#
  The strict failure rule that holds first for a response (failure_rules), else `is_error`
  when the body says `"is_error": true` (an Anthropic tool_result), else null.
#}
{% macro response_error_kind(body, json_fields) -%}
    {%- set field = tracehouse.json_fields_element -%}
    {%- set content = field(json_fields, 3) -%}
    {%- set exit_code = field(json_fields, 4) -%}
    {%- set error = field(json_fields, 5) -%}
    {%- set output = tracehouse.json_fields_element(tracehouse.json_extract_paths(content, ['$.output']), 1) -%}
    {%- set traceback = "'Traceback (most recent call last)'" -%}
    case
        when {{ tracehouse.json_kind(exit_code) }} = 'number'
            and cast({{ tracehouse.json_to_text(exit_code) }} as double) != 0
            then 'exit_code'
        when {{ error }} is not null
            and {{ tracehouse.json_kind(error) }} != 'null'
            and {{ tracehouse.json_to_text(error) }} != '""'
            then 'error_field'
        when {{ tracehouse.json_to_text(field(json_fields, 6)) }} = 'false' then 'success_false'
        when lower({{ tracehouse.json_string_or_null(field(json_fields, 7)) }}) in ('error', 'failed')
            then 'status_error'
        -- the phrase has no character JSON escapes, so it is searched in the (minified) JSON
        -- text of the string, which is not decoded. `content.output` is read from `content`
        -- only where the phrase occurs and the content is an object: extracted with the other
        -- fields, a huge output would be written a second time, into a buffer of several
        -- times its size (512 MB more for a 50 MB result, which then does not build at the
        -- default memory_limit). Nested cases, not `and`/`or`: DuckDB evaluates every operand
        -- of `and` and `or` in a select list, so `content.output` was parsed for a string or a
        -- list content too, and a 55 MB string result holding a traceback ran out of memory
        when case
                when {{ tracehouse.text_contains(tracehouse.json_to_text(content), traceback) }}
                    then case {{ tracehouse.json_kind(content) }}
                        when 'string' then true
                        when 'object' then case
                                when {{ tracehouse.json_kind(output) }} = 'string'
                                    then {{ tracehouse.text_contains(tracehouse.json_to_text(output), traceback) }}
                                else false
                            end
                        else false
                    end
                else false
            end
            then 'traceback'
        when {{ tracehouse.regex_matches(
                'case when ' ~ json_fields ~ ' is not null then ' ~ tracehouse.json_string_or_null(content)
                ~ ' else ' ~ body ~ ' end',
                '^' ~ tracehouse.python_whitespace_class() ~ '*(?i:error)'
            ) }}
            then 'error_text'
        when {{ tracehouse.json_to_text(field(json_fields, 8)) }} = 'true' then 'is_error'
    end
{%- endmacro %}

{#
  The tutorial's rule, on the message's first response only: the response JSON-dumped and
  lower-cased contains `error`, `"exit_code": 1` or `traceback`. It is searched in the body as
  written, spaces around the colon allowed: that is the dumped text but where the body
  escapes an ASCII letter (`\u0065rror`) or lays the JSON out with other white space, which
  json.dumps would not (a body that is not JSON is dumped as a string, its quotes escaped, so
  only `error` and `traceback` can match there).
#}
{% macro legacy_error(body, json_fields, is_first_response) -%}
    case
        when not {{ is_first_response }} then null
        -- a lower-case `error` settles it before the case-blind regexp, which costs twice as
        -- much: nearly every response that matches has one (`"error": null` included)
        when {{ tracehouse.text_contains(body, "'error'") }} then true
        when {{ json_fields }} is null then {{ tracehouse.regex_matches(body, '(?i)error|traceback') }}
        else {{ tracehouse.regex_matches(body, '(?i)error|traceback|"exit_code"[ \t\n\r]*:[ \t\n\r]*1') }}
    end
{%- endmacro %}

{#
  The fields at `paths` of a call body written as a Python literal (single quotes, True,
  False, None), read by tracehouse_python_literal_json (tracehouse/duckdb_functions.py,
  ast.literal_eval: literals only, never code), with one more element, true, that marks
  them as read so; null when the body is no such literal. Tried only on bodies that are not
  JSON and hold a single quote after an opening brace.
#}
{% macro python_literal_paths(body, paths) -%}
    {{ return(adapter.dispatch('python_literal_paths', 'tracehouse')(body, paths)) }}
{%- endmacro %}

{% macro duckdb__python_literal_paths(body, paths) -%}
    case
        when regexp_matches({{ body }}, '^{{ tracehouse.python_whitespace_class() }}*\{')
            and contains({{ body }}, '''')
            and {{ tracehouse.python_literal_json(body) }} is not null
            then list_append(
                {{ tracehouse.json_extract_paths(tracehouse.python_literal_json(body), paths) }},
                cast('true' as json)
            )
    end
{%- endmacro %}

{#
  A Python literal (single quotes, True, False, None) as JSON text, read by
  tracehouse_python_literal_json (tracehouse/duckdb_functions.py, ast.literal_eval: literals
  only, never code); null when the text is no such literal.
#}
{% macro python_literal_json(text) -%}
    {{ return(adapter.dispatch('python_literal_json', 'tracehouse')(text)) }}
{%- endmacro %}

{% macro duckdb__python_literal_json(text) -%}
    tracehouse_python_literal_json({{ text }})
{%- endmacro %}

{# Spark has no such function here: a Python-literal body stays a malformed call. #}
{% macro spark__python_literal_paths(body, paths) -%}
    cast(null as array<string>)
{%- endmacro %}

{# Nor here: a Python-literal tools list in a system prompt declares nothing on Spark. #}
{% macro spark__python_literal_json(text) -%}
    cast(null as string)
{%- endmacro %}

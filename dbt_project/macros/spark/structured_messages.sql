{#
  Spark versions of macros/structured_messages.sql. Spark's JSON functions give a string
  value and the JSON text of an object alike (get_json_object, from_json), so the Hermes form
  of a structured message, which must tell the two apart, is written on DuckDB only: on Spark
  OpenAI and Anthropic messages have no text to parse (no blocks), and keep their roles.
#}

{% macro spark__hermes_text(value, value_format, source_role) -%}
    case when {{ value_format }} = 'text' then {{ value }} end
{%- endmacro %}

{% macro spark__has_tool_result_block(value) -%}
    coalesce(exists(
        from_json(get_json_object({{ value }}, '$.content'), 'array<struct<type: string>>'),
        block -> block.type = 'tool_result'
    ), false)
{%- endmacro %}

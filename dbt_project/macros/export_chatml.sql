{#
  The rendering rules the export marts share, written once: the role a message takes in the
  `messages` export, and the ChatML text of a message in a prompt-response prompt. Plain SQL
  on every engine, so no dispatch.
#}

{# The export role of a ShareGPT `from`: system, user, assistant, tool; null for any other. #}
{% macro export_role(message_role) -%}
    case {{ message_role }}
        when 'system' then 'system'
        when 'human' then 'user'
        when 'gpt' then 'assistant'
        when 'tool' then 'tool'
    end
{%- endmacro %}

{# The role shown for a message: its export role, else the role as given, else `unknown`. #}
{% macro export_shown_role(message_role) -%}
    coalesce({{ tracehouse.export_role(message_role) }}, {{ message_role }}, 'unknown')
{%- endmacro %}

{# One message of a prompt: `<|im_start|>{role}\n{text}<|im_end|>\n` (null when text is null). #}
{% macro export_chatml_message(role, text) -%}
    '<|im_start|>' || {{ role }} || chr(10) || {{ text }} || '<|im_end|>' || chr(10)
{%- endmacro %}

{# What ends every prompt: the header of the assistant turn to predict. #}
{% macro export_chatml_assistant_header() -%}
    '<|im_start|>assistant' || chr(10)
{%- endmacro %}

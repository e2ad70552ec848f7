{#
  Every declared tool with its description and parameters, read from the list it was
  declared in when a query asks for them: the conversation's `tools` value, or the body of
  its system prompt's `<tools>` block, cut from the prompt at the offset int_tools_declared
  keeps. The list is read as int_tools_declared read it (macros/declared_tools.sql), but
  for a list written as a Python literal: its description and parameters are null, as
  fct_tool_calls' arguments are for a call written so, since reading one takes tracehouse's
  function, which a query in the stock DuckDB shell does not have.

  Each CTE computes one thing from columns of the one before: Spark's default local metastore
  (Derby) stores a view's text in at most 32,700 characters, and Spark's JSON macros repeat
  their argument in every path they read.
#}

{%- set declaration_paths = tracehouse.tool_declaration_paths(['description', 'parameters']) %}

with

conversations as (

    select * from {{ ref('stg_hermes__conversations') }}

),

messages as (

    select * from {{ ref('stg_hermes__messages') }}

),

declared_tools as (

    select * from {{ ref('int_tools_declared') }}

),

blocks as (

    -- a prompt's `<tools>` block, cut where int_tools_declared found it, stripped
    select
        declared_tools.conversation_key,
        conversations.conversation_id,
        declared_tools.tool_index,
        declared_tools.tool_name,
        declared_tools.declared_in,
        conversations.tools_json,
        {{ tracehouse.strip_whitespace(
            'substring(messages.message_text, declared_tools.tools_block_offset, declared_tools.tools_block_length)'
        ) }} as tools_block

    from declared_tools
    inner join conversations
        on declared_tools.conversation_key = conversations.conversation_key
    left join messages
        on
            {{ tracehouse.same_conversation('conversations', 'messages') }}
            and messages.message_index = 0
            and declared_tools.declared_in = 'system_prompt'

),

lists as (

    select
        *,
        case
            when declared_in = 'tools_column' then tools_json
            else {{ tracehouse.tools_block_list('tools_block', read_python_literals=false) }}
        end as tools_list

    from blocks

),

elements as (

    select
        *,
        {{ tracehouse.list_element(tracehouse.json_array_elements('tools_list'), 'tool_index') }} as tool_element

    from lists

),

fields as (

    select
        *,
        {{ tracehouse.json_extract_paths('tool_element', declaration_paths) }} as tool_fields

    from elements

),

final as (

    select
        conversation_key,
        conversation_id,
        tool_index,
        tool_name,
        declared_in,
        {{ tracehouse.json_string_or_null(
            tracehouse.tool_declaration_field('tool_fields', declaration_paths, 'description')
        ) }} as tool_description,
        {{ tracehouse.tool_declaration_field('tool_fields', declaration_paths, 'parameters') }} as tool_parameters

    from fields

)

select * from final

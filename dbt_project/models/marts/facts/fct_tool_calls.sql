{#
  One row per `<tool_call>` block of an assistant message (malformed ones included), with the
  response paired to it (tool_call_rules, failure_rules). A view: the call's `arguments` are
  cut from the message text when a query asks for them, so no model stores a copy; every
  other column is read from int_tool_calls_paired.

  The aggregates read int_tool_calls_paired (with fct_conversations for config and
  category), not this view: DuckDB keeps the join to the messages that `arguments` needs
  even when a query selects no argument (measured in bench/README.md).
#}

with

conversations as (

    select * from {{ ref('stg_hermes__conversations') }}

),

messages as (

    select * from {{ ref('stg_hermes__messages') }}

),

tool_calls as (

    select * from {{ ref('int_tool_calls_paired') }}

),

final as (

    select
        cast(tool_calls.conversation_key as {{ dbt.type_string() }}) as conversation_key,
        cast(conversations.conversation_id as {{ dbt.type_string() }}) as conversation_id,
        cast(conversations.load_id as {{ dbt.type_string() }}) as load_id,
        cast(conversations.config as {{ dbt.type_string() }}) as config,
        cast(conversations.category as {{ dbt.type_string() }}) as category,
        cast(conversations.subcategory as {{ dbt.type_string() }}) as subcategory,
        cast(tool_calls.message_index as integer) as message_index,
        cast(tool_calls.call_index as integer) as call_index,
        cast(tool_calls.tool_name as {{ dbt.type_string() }}) as tool_name,
        cast(
            case
                when tool_calls.is_valid_json
                    then {{ tracehouse.list_element(tracehouse.json_extract_paths(
                        'substring(messages.message_text, tool_calls.body_offset, tool_calls.body_length)',
                        ['$.arguments'],
                    ), 0) }}
            end as {{ tracehouse.json_type() }}
        ) as arguments,
        cast(tool_calls.arguments_hash as {{ dbt.type_string() }}) as arguments_hash,
        cast(tool_calls.is_valid_json as boolean) as is_valid_json,
        cast(tool_calls.is_python_literal as boolean) as is_python_literal,
        cast(tool_calls.is_malformed as boolean) as is_malformed,
        cast(tool_calls.is_declared_tool as boolean) as is_declared_tool,
        cast(tool_calls.parallel_width as integer) as parallel_width,
        cast(tool_calls.paired_by as {{ dbt.type_string() }}) as paired_by,
        cast(tool_calls.response_message_index as integer) as response_message_index,
        cast(tool_calls.response_index as integer) as response_index,
        cast(tool_calls.tool_call_id as {{ dbt.type_string() }}) as tool_call_id,
        cast(tool_calls.status as {{ dbt.type_string() }}) as status,
        cast(tool_calls.error_kind as {{ dbt.type_string() }}) as error_kind

    from tool_calls
    inner join conversations
        on tool_calls.conversation_key = conversations.conversation_key
    inner join messages
        on
            {{ tracehouse.same_conversation('conversations', 'messages') }}
            and tool_calls.message_index = messages.message_index

)

select * from final

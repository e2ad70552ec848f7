{#
  One row per `<tool_call>` block of an assistant message (malformed ones included), with the
  response paired to it. Rules: _definitions.md, tool_call_rules and failure_rules.
#}

with

conversations as (

    select * from {{ ref('stg_hermes__conversations') }}
    {{ tracehouse.where_load_is_new() }}

),

tool_calls as (

    select * from {{ ref('int_tool_calls_paired') }}
    {{ tracehouse.where_load_changed() }}

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
        cast(tool_calls.arguments as {{ tracehouse.json_type() }}) as arguments,
        cast(tool_calls.is_valid_json as boolean) as is_valid_json,
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

)

select * from final

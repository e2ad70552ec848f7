{#
  One row per `<tool_response>` block of a tool message, classified.
  Rules: _definitions.md, failure_rules.
#}

with

conversations as (

    select * from {{ ref('stg_hermes__conversations') }}
    {{ tracehouse.where_load_is_new() }}

),

tool_responses as (

    select * from {{ ref('int_tool_responses_classified') }}
    {{ tracehouse.where_load_changed() }}

),

tool_calls as (

    select * from {{ ref('int_tool_calls_paired') }}
    {{ tracehouse.where_load_changed() }}

),

final as (

    select
        cast(tool_responses.conversation_key as {{ dbt.type_string() }}) as conversation_key,
        cast(conversations.conversation_id as {{ dbt.type_string() }}) as conversation_id,
        cast(conversations.load_id as {{ dbt.type_string() }}) as load_id,
        cast(conversations.config as {{ dbt.type_string() }}) as config,
        cast(conversations.category as {{ dbt.type_string() }}) as category,
        cast(conversations.subcategory as {{ dbt.type_string() }}) as subcategory,
        cast(tool_responses.message_index as integer) as message_index,
        cast(tool_responses.response_index as integer) as response_index,
        cast(tool_responses.tool_call_id as {{ dbt.type_string() }}) as tool_call_id,
        cast(tool_responses.tool_name as {{ dbt.type_string() }}) as tool_name,
        cast(tool_responses.is_valid_json as boolean) as is_valid_json,
        cast(tool_responses.content_kind as {{ dbt.type_string() }}) as content_kind,
        cast(tool_responses.content_chars as bigint) as content_chars,
        cast(tool_responses.status as {{ dbt.type_string() }}) as status,
        cast(tool_responses.error_kind as {{ dbt.type_string() }}) as error_kind,
        cast(tool_responses.legacy_error as boolean) as legacy_error,
        cast(tool_calls.message_index as integer) as call_message_index,
        cast(tool_calls.call_index as integer) as call_index

    from tool_responses
    inner join conversations
        on tool_responses.conversation_key = conversations.conversation_key
    left join tool_calls
        on
            tool_responses.conversation_key = tool_calls.conversation_key
            and tool_responses.message_index = tool_calls.response_message_index
            and tool_responses.response_index = tool_calls.response_index

)

select * from final

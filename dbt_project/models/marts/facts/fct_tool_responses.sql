{#
  One row per `<tool_response>` block of a tool message, classified (failure_rules), with the
  call it answers when one was paired with it (tool_call_rules).
#}

with

conversations as (

    select * from {{ ref('stg_hermes__conversations') }}
    {{ tracehouse.where_load_is_new() }}

),

blocks as (

    select * from {{ ref('int_blocks_parsed') }}
    {{ tracehouse.where_load_is_new() }}

),

tool_calls as (

    select * from {{ ref('int_tool_calls_paired') }}
    {{ tracehouse.where_load_is_new() }}

),

responses as (

    select
        conversation_key,
        message_index,
        block_index,
        tool_call_id,
        tool_name,
        is_valid_json,
        content_kind,
        content_chars,
        error_kind,
        legacy_error,
        row_number() over (
            partition by conversation_key, message_index
            order by block_index
        ) - 1 as response_index

    from blocks
    where block_kind = 'tool_response'

),

final as (

    select
        cast(responses.conversation_key as {{ dbt.type_string() }}) as conversation_key,
        cast(conversations.conversation_id as {{ dbt.type_string() }}) as conversation_id,
        cast(conversations.load_id as {{ dbt.type_string() }}) as load_id,
        cast(conversations.config as {{ dbt.type_string() }}) as config,
        cast(conversations.category as {{ dbt.type_string() }}) as category,
        cast(conversations.subcategory as {{ dbt.type_string() }}) as subcategory,
        cast(responses.message_index as integer) as message_index,
        cast(responses.response_index as integer) as response_index,
        cast(responses.tool_call_id as {{ dbt.type_string() }}) as tool_call_id,
        cast(responses.tool_name as {{ dbt.type_string() }}) as tool_name,
        cast(coalesce(responses.is_valid_json, false) as boolean) as is_valid_json,
        cast(responses.content_kind as {{ dbt.type_string() }}) as content_kind,
        cast(responses.content_chars as bigint) as content_chars,
        cast(
            case when responses.error_kind is null then 'ok' else 'error' end
            as {{ dbt.type_string() }}
        ) as status,
        cast(responses.error_kind as {{ dbt.type_string() }}) as error_kind,
        cast(responses.legacy_error as boolean) as legacy_error,
        cast(tool_calls.message_index as integer) as call_message_index,
        cast(tool_calls.call_index as integer) as call_index,
        cast({{ tracehouse.rules_version() }} as integer) as rules_version

    from responses
    inner join conversations
        on responses.conversation_key = conversations.conversation_key
    left join tool_calls
        on
            responses.conversation_key = tool_calls.conversation_key
            and responses.message_index = tool_calls.response_message_index
            and responses.response_index = tool_calls.response_index

)

select * from final

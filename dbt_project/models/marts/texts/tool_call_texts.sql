{#
  Every tool call with its text and its result's text, cut from the messages by the block
  index when a query asks for them: `arguments` is the call's arguments as JSON, `call_body`
  the whole body between the tags, `result_text` the body of the paired `<tool_response>`.
#}

with

conversations as (

    select * from {{ ref('stg_hermes__conversations') }}

),

call_messages as (

    select * from {{ ref('stg_hermes__messages') }}

),

-- a second import of the same view: a CTE read twice is materialized whole, with its text
response_messages as (

    select * from {{ ref('stg_hermes__messages') }}

),

blocks as (

    select * from {{ ref('int_blocks_parsed') }}

),

tool_calls as (

    select * from {{ ref('int_tool_calls_paired') }}

),

cut as (

    select
        tool_calls.conversation_key,
        conversations.conversation_id,
        tool_calls.message_index,
        tool_calls.call_index,
        tool_calls.tool_name,
        tool_calls.is_valid_json,
        tool_calls.status,
        substring(call_messages.message_text, tool_calls.body_offset, tool_calls.body_length) as call_body,
        substring(
            response_messages.message_text, responses.body_offset, responses.body_length
        ) as result_text

    from tool_calls
    inner join conversations
        on tool_calls.conversation_key = conversations.conversation_key
    inner join call_messages
        on
            {{ tracehouse.same_conversation('conversations', 'call_messages') }}
            and tool_calls.message_index = call_messages.message_index
    left join blocks as responses
        on
            tool_calls.conversation_key = responses.conversation_key
            and tool_calls.response_message_index = responses.message_index
            and tool_calls.response_block_index = responses.block_index
    left join response_messages
        on
            {{ tracehouse.same_conversation('conversations', 'response_messages') }}
            and tool_calls.response_message_index = response_messages.message_index

),

final as (

    select
        conversation_key,
        conversation_id,
        message_index,
        call_index,
        tool_name,
        case
            when is_valid_json
                then {{ tracehouse.list_element(tracehouse.json_extract_paths('call_body', ['$.arguments']), 0) }}
        end as arguments,
        call_body,
        status,
        result_text

    from cut

)

select * from final

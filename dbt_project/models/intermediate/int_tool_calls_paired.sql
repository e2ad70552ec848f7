{#
  Every tool call with the response paired to it, if any (tool_call_rules). Calls carry no
  id, so pairing uses only names and order: the candidate responses are those of the message
  right after the assistant turn (only tool messages have response blocks).

  1. By name: the k-th call named x pairs with the k-th response named x.
  2. By order: calls and responses left over in the turn pair by their order among leftovers.

  A malformed call that got no response therefore does not shift the others, and a call whose
  name was garbled still finds its response. The kimi id pattern is never used.
#}

with

blocks as (

    select * from {{ ref('int_blocks_parsed') }}

),

tools_declared as (

    select * from {{ ref('int_tools_declared') }}

),

declared_names as (

    select distinct
        conversation_key,
        tool_name

    from tools_declared
    where tool_name is not null

),

calls as (

    select
        conversation_key,
        message_index,
        block_index,
        load_id,
        body_offset,
        body_length,
        tool_name,
        arguments_hash,
        is_valid_json,
        not has_closing_tag as is_unclosed,
        row_number() over turn_calls - 1 as call_index,
        count(*) over (partition by conversation_key, message_index) as parallel_width,
        -- calls without a name get a rank too, but never match by name (null != null)
        row_number() over (
            partition by conversation_key, message_index, tool_name
            order by block_index
        ) as name_rank

    from blocks
    where block_kind = 'tool_call'
    window turn_calls as (partition by conversation_key, message_index order by block_index)

),

responses as (

    select
        conversation_key,
        message_index,
        block_index,
        tool_call_id,
        tool_name,
        error_kind,
        row_number() over (
            partition by conversation_key, message_index
            order by block_index
        ) - 1 as response_index,
        row_number() over (
            partition by conversation_key, message_index, tool_name
            order by block_index
        ) as name_rank

    from blocks
    where block_kind = 'tool_response'

),

paired_by_name as (

    select
        calls.conversation_key,
        calls.message_index,
        calls.call_index,
        responses.response_index

    from calls
    inner join responses
        on
            calls.conversation_key = responses.conversation_key
            and calls.message_index + 1 = responses.message_index
            and calls.tool_name = responses.tool_name
            and calls.name_rank = responses.name_rank

),

calls_left_over as (

    select
        calls.conversation_key,
        calls.message_index,
        calls.call_index,
        row_number() over (
            partition by calls.conversation_key, calls.message_index
            order by calls.call_index
        ) as leftover_rank

    from calls
    left join paired_by_name
        on
            calls.conversation_key = paired_by_name.conversation_key
            and calls.message_index = paired_by_name.message_index
            and calls.call_index = paired_by_name.call_index
    where paired_by_name.call_index is null

),

responses_left_over as (

    select
        responses.conversation_key,
        responses.message_index,
        responses.response_index,
        row_number() over (
            partition by responses.conversation_key, responses.message_index
            order by responses.response_index
        ) as leftover_rank

    from responses
    left join paired_by_name
        on
            responses.conversation_key = paired_by_name.conversation_key
            and responses.message_index = paired_by_name.message_index + 1
            and responses.response_index = paired_by_name.response_index
    where paired_by_name.response_index is null

),

pairs as (

    select
        conversation_key,
        message_index,
        call_index,
        response_index,
        'name' as paired_by

    from paired_by_name

    union all

    select
        calls_left_over.conversation_key,
        calls_left_over.message_index,
        calls_left_over.call_index,
        responses_left_over.response_index,
        'order' as paired_by

    from calls_left_over
    inner join responses_left_over
        on
            calls_left_over.conversation_key = responses_left_over.conversation_key
            and calls_left_over.message_index + 1 = responses_left_over.message_index
            and calls_left_over.leftover_rank = responses_left_over.leftover_rank

),

final as (

    select
        calls.conversation_key,
        cast(calls.message_index as integer) as message_index,
        cast(calls.call_index as integer) as call_index,
        calls.block_index,
        calls.load_id,
        calls.body_offset,
        calls.body_length,
        calls.tool_name,
        calls.arguments_hash,
        coalesce(calls.is_valid_json, false) as is_valid_json,
        calls.is_unclosed,
        calls.tool_name is null or calls.is_unclosed as is_malformed,
        declared_names.tool_name is not null as is_declared_tool,
        cast(calls.parallel_width as integer) as parallel_width,
        pairs.paired_by,
        cast(responses.message_index as integer) as response_message_index,
        cast(responses.response_index as integer) as response_index,
        responses.block_index as response_block_index,
        responses.tool_call_id,
        responses.tool_name as response_tool_name,
        case
            when responses.block_index is null then 'no_response'
            when responses.error_kind is not null then 'error'
            else 'ok'
        end as status,
        responses.error_kind

    from calls
    left join pairs
        on
            calls.conversation_key = pairs.conversation_key
            and calls.message_index = pairs.message_index
            and calls.call_index = pairs.call_index
    left join responses
        on
            pairs.conversation_key = responses.conversation_key
            and pairs.message_index + 1 = responses.message_index
            and pairs.response_index = responses.response_index
    left join declared_names
        on
            calls.conversation_key = declared_names.conversation_key
            and calls.tool_name = declared_names.tool_name

)

select * from final

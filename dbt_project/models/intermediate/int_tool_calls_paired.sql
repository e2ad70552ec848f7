{#
  Every tool call with the response paired to it, if any (tool_call_rules). The candidate
  responses are those of the tool step after the assistant turn (the message right after
  it; OpenAI's several tool messages, one per result).

  0. A call with an id pairs with the response of its step naming that id (the k-th call
     with an id with the k-th response naming it), or with none.
  Calls without an id (Hermes calls carry none) pair with the responses no id claimed:
  1. By name: the k-th call named x pairs with the k-th response named x.
  2. By order: calls and responses left over in the turn pair by their order among leftovers.

  A malformed call that got no response therefore does not shift the others, and a call whose
  name was garbled still finds its response. The kimi id pattern is never used.
#}

-- the folder's pre-hook (delete_replaced_loads) reads the loads staged now:
-- depends_on: {{ ref('stg_hermes__conversations') }}

with

blocks as (

    select * from {{ ref('int_blocks_parsed') }}
    {{ tracehouse.where_load_is_new() }}

),

messages as (

    select * from {{ ref('int_messages_sequenced') }}
    {{ tracehouse.where_load_is_new() }}

),

tools_declared as (

    select * from {{ ref('int_tools_declared') }}
    {{ tracehouse.where_load_is_new() }}

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
        is_python_literal,
        tool_call_id as call_id,
        not has_closing_tag as is_unclosed,
        row_number() over turn_calls - 1 as call_index,
        count(*) over (partition by conversation_key, message_index) as parallel_width,
        -- calls without a name (or an id) get a rank too, but never match by it (null != null)
        row_number() over (
            partition by conversation_key, message_index, tool_name
            order by block_index
        ) as name_rank,
        row_number() over (
            partition by conversation_key, message_index, tool_call_id
            order by block_index
        ) as id_rank

    from blocks
    where block_kind = 'tool_call'
    window turn_calls as (partition by conversation_key, message_index order by block_index)

),

response_blocks as (

    select
        blocks.conversation_key,
        blocks.message_index,
        blocks.block_index,
        blocks.tool_call_id,
        blocks.tool_name,
        blocks.error_kind,
        messages.answers_message_index,
        row_number() over (
            partition by blocks.conversation_key, blocks.message_index
            order by blocks.block_index
        ) - 1 as response_index,
        row_number() over (
            partition by blocks.conversation_key, messages.answers_message_index, blocks.tool_call_id
            order by blocks.message_index, blocks.block_index
        ) as id_rank

    from blocks
    inner join messages
        on
            blocks.conversation_key = messages.conversation_key
            and blocks.message_index = messages.message_index
    where blocks.block_kind = 'tool_response'

),

paired_by_id as (

    select
        calls.conversation_key,
        calls.message_index,
        calls.call_index,
        response_blocks.message_index as response_message_index,
        response_blocks.response_index

    from calls
    inner join response_blocks
        on
            calls.conversation_key = response_blocks.conversation_key
            and calls.message_index = response_blocks.answers_message_index
            and calls.call_id = response_blocks.tool_call_id
            and calls.id_rank = response_blocks.id_rank

),

calls_without_id as (

    select * from calls
    where call_id is null

),

responses as (

    -- the responses no call's id claimed
    select
        response_blocks.*,
        row_number() over (
            partition by
                response_blocks.conversation_key, response_blocks.answers_message_index, response_blocks.tool_name
            order by response_blocks.message_index, response_blocks.block_index
        ) as name_rank,
        row_number() over (
            partition by response_blocks.conversation_key, response_blocks.answers_message_index
            order by response_blocks.message_index, response_blocks.block_index
        ) as step_rank

    from response_blocks
    left join paired_by_id
        on
            response_blocks.conversation_key = paired_by_id.conversation_key
            and response_blocks.message_index = paired_by_id.response_message_index
            and response_blocks.response_index = paired_by_id.response_index
    where paired_by_id.response_index is null

),

paired_by_name as (

    select
        calls_without_id.conversation_key,
        calls_without_id.message_index,
        calls_without_id.call_index,
        responses.message_index as response_message_index,
        responses.response_index

    from calls_without_id
    inner join responses
        on
            calls_without_id.conversation_key = responses.conversation_key
            and calls_without_id.message_index = responses.answers_message_index
            and calls_without_id.tool_name = responses.tool_name
            and calls_without_id.name_rank = responses.name_rank

),

calls_left_over as (

    select
        calls_without_id.conversation_key,
        calls_without_id.message_index,
        calls_without_id.call_index,
        row_number() over (
            partition by calls_without_id.conversation_key, calls_without_id.message_index
            order by calls_without_id.call_index
        ) as leftover_rank

    from calls_without_id
    left join paired_by_name
        on
            calls_without_id.conversation_key = paired_by_name.conversation_key
            and calls_without_id.message_index = paired_by_name.message_index
            and calls_without_id.call_index = paired_by_name.call_index
    where paired_by_name.call_index is null

),

responses_left_over as (

    select
        responses.conversation_key,
        responses.message_index,
        responses.response_index,
        responses.answers_message_index,
        row_number() over (
            partition by responses.conversation_key, responses.answers_message_index
            order by responses.step_rank
        ) as leftover_rank

    from responses
    left join paired_by_name
        on
            responses.conversation_key = paired_by_name.conversation_key
            and responses.message_index = paired_by_name.response_message_index
            and responses.response_index = paired_by_name.response_index
    where paired_by_name.response_index is null

),

pairs as (

    select
        *,
        'id' as paired_by

    from paired_by_id

    union all

    select
        *,
        'name' as paired_by

    from paired_by_name

    union all

    select
        calls_left_over.conversation_key,
        calls_left_over.message_index,
        calls_left_over.call_index,
        responses_left_over.message_index as response_message_index,
        responses_left_over.response_index,
        'order' as paired_by

    from calls_left_over
    inner join responses_left_over
        on
            calls_left_over.conversation_key = responses_left_over.conversation_key
            and calls_left_over.message_index = responses_left_over.answers_message_index
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
        coalesce(calls.is_python_literal, false) as is_python_literal,
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
        responses.error_kind,
        cast({{ tracehouse.rules_version() }} as integer) as rules_version

    from calls
    left join pairs
        on
            calls.conversation_key = pairs.conversation_key
            and calls.message_index = pairs.message_index
            and calls.call_index = pairs.call_index
    left join response_blocks as responses
        on
            pairs.conversation_key = responses.conversation_key
            and pairs.response_message_index = responses.message_index
            and pairs.response_index = responses.response_index
    left join declared_names
        on
            calls.conversation_key = declared_names.conversation_key
            and calls.tool_name = declared_names.tool_name

)

select * from final

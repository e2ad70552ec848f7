{#
  The steps of the conversations the trace replay shows (report_replay_conversations), in
  order, without their text: one step per block that is not white space (the system
  prompt, a human message, a think block, visible text, a tool call, a tool response), with
  the call's or response's tool name and status. The report cuts each step's text from the
  messages when it is written (block_texts, by message_index and block_index).

  The block index (int_blocks_parsed) is read for the blocks no fact table lists one by one
  (think and visible text); statuses come from int_tool_calls_paired and fct_tool_responses,
  matched by the block's position among its message's calls or responses (call_index,
  response_index).
#}

with

replay_conversations as (

    select * from {{ ref('report_replay_conversations') }}

),

blocks as (

    select * from {{ ref('int_blocks_parsed') }}

),

tool_calls as (

    select * from {{ ref('int_tool_calls_paired') }}

),

tool_responses as (

    select * from {{ ref('fct_tool_responses') }}

),

replayed_blocks as (

    select
        blocks.conversation_key,
        blocks.message_index,
        blocks.block_index,
        blocks.message_role,
        blocks.block_kind,
        blocks.body_length,
        max(case when blocks.block_kind = 'tool_call' then 1 else 0 end) over (
            partition by blocks.conversation_key, blocks.message_index
        ) as message_has_call,
        row_number() over (
            partition by blocks.conversation_key, blocks.message_index, blocks.block_kind
            order by blocks.block_index
        ) - 1 as kind_index

    from blocks
    inner join replay_conversations
        on blocks.conversation_key = replay_conversations.conversation_key
    where blocks.block_kind != 'whitespace'

),

steps as (

    select
        conversation_key,
        message_index,
        block_index,
        message_role,
        body_length,
        case
            when message_role in ('system', 'human') then message_role
            when block_kind = 'think' then 'think'
            when block_kind = 'tool_call' then 'call'
            when block_kind = 'tool_response' then 'response'
            when message_role = 'gpt' and message_has_call = 0 then 'answer'
            when message_role = 'gpt' then 'text'
            else 'other'
        end as step_kind,
        case when block_kind = 'tool_call' then kind_index end as call_index,
        case when block_kind = 'tool_response' then kind_index end as response_index

    from replayed_blocks

),

final as (

    select
        cast(steps.conversation_key as {{ dbt.type_string() }}) as conversation_key,
        cast(row_number() over (
            partition by steps.conversation_key
            order by steps.message_index, steps.block_index
        ) - 1 as integer) as step_index,
        cast(steps.message_index as integer) as message_index,
        cast(steps.block_index as integer) as block_index,
        cast(steps.message_role as {{ dbt.type_string() }}) as message_role,
        cast(steps.step_kind as {{ dbt.type_string() }}) as step_kind,
        cast(coalesce(tool_calls.tool_name, tool_responses.tool_name) as {{ dbt.type_string() }})
            as tool_name,
        cast(coalesce(tool_responses.status, tool_calls.status) as {{ dbt.type_string() }}) as status,
        cast(coalesce(tool_responses.error_kind, tool_calls.error_kind) as {{ dbt.type_string() }})
            as error_kind,
        cast(steps.body_length as bigint) as text_chars

    from steps
    left join tool_calls
        on
            steps.conversation_key = tool_calls.conversation_key
            and steps.message_index = tool_calls.message_index
            and steps.call_index = tool_calls.call_index
    left join tool_responses
        on
            steps.conversation_key = tool_responses.conversation_key
            and steps.message_index = tool_responses.message_index
            and steps.response_index = tool_responses.response_index

)

select * from final

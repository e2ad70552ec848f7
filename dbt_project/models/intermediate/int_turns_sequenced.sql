{#
  One row per message ("turn" in the dataset card's sense) with what its neighbours were:
  the role of the message before it, whether that was a tool message with a failed response,
  whether the last tool message before it failed, and its position among assistant turns.
  The inputs of preceded_by (turn_rules) and of the conversation outcome (outcome_rules).
#}

with

conversations as (

    select * from {{ ref('stg_hermes__conversations') }}
    {{ tracehouse.where_load_is_new() }}

),

messages as (

    select * from {{ ref('stg_hermes__messages') }}
    {{ tracehouse.where_slice_changed() }}

),

blocks as (

    select * from {{ ref('int_blocks_parsed') }}
    {{ tracehouse.where_load_changed() }}

),

responses as (

    select * from {{ ref('int_tool_responses_classified') }}
    {{ tracehouse.where_load_changed() }}

),

message_blocks as (

    select
        conversation_key,
        message_index,
        sum(case when block_kind = 'tool_call' then 1 else 0 end) as tool_call_blocks

    from blocks
    group by conversation_key, message_index

),

message_responses as (

    select
        conversation_key,
        message_index,
        count(*) as tool_responses,
        sum(case when status = 'error' then 1 else 0 end) as failed_tool_responses

    from responses
    group by conversation_key, message_index

),

joined as (

    select
        messages.conversation_key,
        messages.message_index,
        conversations.load_id,
        messages.message_role,
        messages.message_chars,
        coalesce(message_blocks.tool_call_blocks, 0) as tool_calls,
        coalesce(message_responses.tool_responses, 0) as tool_responses,
        coalesce(message_responses.failed_tool_responses, 0) as failed_tool_responses,
        coalesce(
            messages.message_role = 'human'
            and {{ tracehouse.text_contains(
                'messages.message_text', "'maximum number of tool-calling iterations'"
            ) }},
            false
        ) as is_iteration_limit_notice

    from messages
    inner join conversations
        on messages.conversation_key = conversations.conversation_key
    left join message_blocks
        on
            messages.conversation_key = message_blocks.conversation_key
            and messages.message_index = message_blocks.message_index
    left join message_responses
        on
            messages.conversation_key = message_responses.conversation_key
            and messages.message_index = message_responses.message_index

),

sequenced as (

    select
        *,
        message_role = 'gpt' and tool_calls = 0 as is_assistant_answer,
        case
            when message_role = 'tool' then failed_tool_responses > 0
        end as tool_message_failed,
        lag(message_role) over (
            partition by conversation_key order by message_index
        ) as previous_message_role,
        lag(failed_tool_responses) over (
            partition by conversation_key order by message_index
        ) as previous_failed_tool_responses,
        row_number() over (
            partition by conversation_key, message_role = 'gpt'
            order by message_index
        ) - 1 as role_turn_index,
        message_index = max(message_index) over (
            partition by conversation_key
        ) as is_last_message

    from joined

),

final as (

    select
        conversation_key,
        message_index,
        load_id,
        message_role,
        message_chars,
        tool_calls,
        tool_responses,
        failed_tool_responses,
        is_iteration_limit_notice,
        is_assistant_answer,
        is_last_message,
        cast(case when message_role = 'gpt' then role_turn_index end as integer) as assistant_turn_index,
        previous_message_role,
        case
            when previous_message_role = 'human' then 'human'
            when previous_message_role = 'tool' and previous_failed_tool_responses > 0
                then 'tool_error'
            when previous_message_role = 'tool' then 'tool_ok'
            else 'none'
        end as preceded_by,
        {{ tracehouse.last_non_null('tool_message_failed') }} over (
            partition by conversation_key
            order by message_index
            rows between unbounded preceding and 1 preceding
        ) as last_tool_message_failed

    from sequenced

)

select * from final

{#
  One row per message with what its blocks hold and what came before it: the role of the
  message before it, whether that was a tool step with a failed response, whether the last
  tool step before it failed, and its position among assistant turns. The inputs of
  preceded_by (turn_rules) and of the conversation outcome (outcome_rules). Read from the
  block index: no message text.

  A tool step is the run of tool messages after one message: one Hermes tool message, or the
  several tool messages OpenAI writes, one per result, after one assistant turn. Each tool
  message knows the assistant message it answers, where its responses pair with calls.
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
    {{ tracehouse.where_load_is_new() }}

),

message_blocks as (

    select
        conversation_key,
        message_index,
        -- the message's length: every block's body and tags
        sum(
            body_length
            + case when has_opening_tag then length(block_kind) + 2 else 0 end
            + case when has_closing_tag then length(block_kind) + 3 else 0 end
        ) as message_chars,
        count(*) filter (where block_kind = 'tool_call') as tool_calls,
        count(*) filter (where block_kind = 'tool_response') as tool_responses,
        count(*) filter (where block_kind = 'tool_response' and error_kind is not null)
            as failed_tool_responses,
        coalesce(bool_or(mentions_iteration_limit), false) as is_iteration_limit_notice

    from blocks
    group by conversation_key, message_index

),

joined as (

    select
        messages.conversation_key,
        messages.message_index,
        conversations.load_id,
        messages.message_role,
        coalesce(message_blocks.message_chars, 0) as message_chars,
        coalesce(message_blocks.tool_calls, 0) as tool_calls,
        coalesce(message_blocks.tool_responses, 0) as tool_responses,
        coalesce(message_blocks.failed_tool_responses, 0) as failed_tool_responses,
        coalesce(message_blocks.is_iteration_limit_notice, false) as is_iteration_limit_notice

    from messages
    inner join conversations
        on messages.conversation_key = conversations.conversation_key
    left join message_blocks
        on
            messages.conversation_key = message_blocks.conversation_key
            and messages.message_index = message_blocks.message_index

),

stepped as (

    select
        *,
        -- the messages that are not tool messages, up to this one: a tool message shares
        -- its number with the message its step follows
        sum(case when message_role = 'tool' then 0 else 1 end) over (
            partition by conversation_key
            order by message_index
            rows between unbounded preceding and current row
        ) as step_number

    from joined

),

steps as (

    select
        *,
        sum(failed_tool_responses) over conversation_step as step_failed_tool_responses,
        first_value(message_role) over conversation_step as step_head_role,
        min(message_index) over conversation_step as step_head_index

    from stepped
    window conversation_step as (
        partition by conversation_key, step_number
        order by message_index
        rows between unbounded preceding and unbounded following
    )

),

sequenced as (

    select
        *,
        message_role = 'gpt' and tool_calls = 0 as is_assistant_answer,
        case when message_role = 'tool' then step_failed_tool_responses > 0 end as tool_message_failed,
        case
            when message_role = 'tool' and step_head_role = 'gpt' and step_number > 0 then step_head_index
        end as answers_message_index,
        lag(message_role) over conversation_messages as previous_message_role,
        lag(step_failed_tool_responses) over conversation_messages as previous_failed_tool_responses,
        coalesce(sum(case when message_role = 'gpt' then 1 else 0 end) over (
            partition by conversation_key
            order by message_index
            rows between unbounded preceding and 1 preceding
        ), 0) as assistant_turns_before,
        message_index = max(message_index) over (partition by conversation_key) as is_last_message

    from steps
    window conversation_messages as (partition by conversation_key order by message_index)

),

final as (

    select
        conversation_key,
        cast(message_index as integer) as message_index,
        load_id,
        message_role,
        cast(message_chars as bigint) as message_chars,
        cast(tool_calls as integer) as tool_calls,
        cast(tool_responses as integer) as tool_responses,
        cast(failed_tool_responses as integer) as failed_tool_responses,
        is_iteration_limit_notice,
        is_assistant_answer,
        cast(answers_message_index as integer) as answers_message_index,
        is_last_message,
        cast(case when message_role = 'gpt' then assistant_turns_before end as integer)
            as assistant_turn_index,
        previous_message_role,
        case
            when previous_message_role = 'human' then 'human'
            when previous_message_role = 'tool' and previous_failed_tool_responses > 0
                then 'tool_error'
            when previous_message_role = 'tool' then 'tool_ok'
            else 'none'
        end as preceded_by,
        coalesce({{ tracehouse.last_non_null('tool_message_failed') }} over (
            partition by conversation_key
            order by message_index
            rows between unbounded preceding and 1 preceding
        ), false) as last_tool_message_failed,
        cast({{ tracehouse.rules_version() }} as integer) as rules_version

    from sequenced

)

select * from final

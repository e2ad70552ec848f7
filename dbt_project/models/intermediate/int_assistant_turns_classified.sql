{#
  One row per assistant (gpt) message: its reasoning (think blocks, characters, words), its
  tool calls (malformed ones included), visible text, turn_kind and preceded_by.
  Rules: _definitions.md, turn_rules.
#}

with

conversations as (

    select * from {{ ref('stg_hermes__conversations') }}
    {{ tracehouse.where_load_is_new() }}

),

turns as (

    select * from {{ ref('int_turns_sequenced') }}
    {{ tracehouse.where_load_changed() }}

),

blocks as (

    select * from {{ ref('int_blocks_parsed') }}
    {{ tracehouse.where_load_changed() }}

),

calls as (

    select * from {{ ref('int_tool_calls_parsed') }}
    {{ tracehouse.where_load_changed() }}

),

think_counted as (

    select
        conversation_key,
        message_index,
        block_kind,
        block_chars,
        is_unclosed,
        is_unopened,
        case
            when block_kind = 'think' then {{ tracehouse.word_count('block_body') }}
        end as think_words

    from blocks
    where message_role = 'gpt'

),

turn_blocks as (

    select
        conversation_key,
        message_index,
        sum(case when block_kind = 'think' then 1 else 0 end) as think_blocks,
        sum(case when block_kind = 'think' then block_chars else 0 end) as think_chars,
        sum(case when block_kind = 'think' then think_words else 0 end) as think_words,
        sum(case when block_kind = 'think' and think_words = 0 then 1 else 0 end)
            as empty_think_blocks,
        coalesce(bool_or(block_kind = 'think' and is_unclosed), false) as has_unclosed_think,
        coalesce(bool_or(block_kind = 'think' and is_unopened), false) as has_unopened_think,
        sum(case when block_kind = 'text' then 1 else 0 end) as text_blocks,
        sum(case when block_kind = 'text' then block_chars else 0 end) as visible_text_chars

    from think_counted
    group by conversation_key, message_index

),

turn_calls as (

    select
        conversation_key,
        message_index,
        count(*) as tool_calls,
        sum(case when is_malformed then 1 else 0 end) as malformed_tool_calls,
        sum(
            case when not is_malformed and not is_declared_tool then 1 else 0 end
        ) as undeclared_tool_calls

    from calls
    group by conversation_key, message_index

),

joined as (

    select
        turns.conversation_key,
        turns.message_index,
        conversations.load_id,
        turns.assistant_turn_index,
        turns.is_last_message,
        turns.preceded_by,
        coalesce(turn_blocks.think_blocks, 0) as think_blocks,
        coalesce(turn_blocks.think_chars, 0) as think_chars,
        coalesce(turn_blocks.think_words, 0) as think_words,
        coalesce(turn_blocks.empty_think_blocks, 0) as empty_think_blocks,
        coalesce(turn_blocks.has_unclosed_think, false) as has_unclosed_think,
        coalesce(turn_blocks.has_unopened_think, false) as has_unopened_think,
        coalesce(turn_calls.tool_calls, 0) as tool_calls,
        coalesce(turn_calls.malformed_tool_calls, 0) as malformed_tool_calls,
        coalesce(turn_calls.undeclared_tool_calls, 0) as undeclared_tool_calls,
        coalesce(turn_blocks.text_blocks, 0) > 0 as has_visible_text,
        coalesce(turn_blocks.visible_text_chars, 0) as visible_text_chars

    from turns
    inner join conversations
        on turns.conversation_key = conversations.conversation_key
    left join turn_blocks
        on
            turns.conversation_key = turn_blocks.conversation_key
            and turns.message_index = turn_blocks.message_index
    left join turn_calls
        on
            turns.conversation_key = turn_calls.conversation_key
            and turns.message_index = turn_calls.message_index
    where turns.message_role = 'gpt'

),

final as (

    select
        conversation_key,
        message_index,
        load_id,
        assistant_turn_index,
        cast(think_blocks as integer) as think_blocks,
        cast(think_chars as bigint) as think_chars,
        cast(think_words as bigint) as think_words,
        cast(empty_think_blocks as integer) as empty_think_blocks,
        has_unclosed_think,
        has_unopened_think,
        cast(tool_calls as integer) as tool_calls,
        cast(malformed_tool_calls as integer) as malformed_tool_calls,
        cast(undeclared_tool_calls as integer) as undeclared_tool_calls,
        has_visible_text,
        cast(visible_text_chars as bigint) as visible_text_chars,
        case
            when think_words > 0 and tool_calls > 0 then 'reasoning_and_tool'
            when think_words > 0 then 'reasoning_only'
            when tool_calls > 0 then 'tool_only'
            else 'neither'
        end as turn_kind,
        preceded_by,
        is_last_message

    from joined

)

select * from final

{# One row per assistant (gpt) message: its reasoning, calls and visible text (turn_rules). #}

with

conversations as (

    select * from {{ ref('stg_hermes__conversations') }}
    {{ tracehouse.where_load_is_new() }}

),

messages as (

    select * from {{ ref('int_messages_sequenced') }}
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

turn_blocks as (

    select
        conversation_key,
        message_index,
        sum(case when block_kind = 'think' then 1 else 0 end) as think_blocks,
        sum(case when block_kind = 'think' then body_length else 0 end) as think_chars,
        sum(case when block_kind = 'think' then think_words else 0 end) as think_words,
        sum(case when block_kind = 'think' and think_words = 0 then 1 else 0 end)
            as empty_think_blocks,
        coalesce(bool_or(block_kind = 'think' and not has_closing_tag), false) as has_unclosed_think,
        coalesce(bool_or(block_kind = 'think' and not has_opening_tag), false) as has_unopened_think,
        sum(case when block_kind = 'text' then 1 else 0 end) as text_blocks,
        sum(case when block_kind = 'text' then body_length else 0 end) as visible_text_chars

    from blocks
    where message_role = 'gpt'
    group by conversation_key, message_index

),

turn_calls as (

    select
        conversation_key,
        message_index,
        count(*) as tool_calls,
        sum(case when is_malformed then 1 else 0 end) as malformed_tool_calls,
        sum(case when not is_malformed and not is_declared_tool then 1 else 0 end)
            as undeclared_tool_calls

    from tool_calls
    group by conversation_key, message_index

),

joined as (

    select
        messages.conversation_key,
        conversations.conversation_id,
        conversations.load_id,
        conversations.config,
        conversations.category,
        conversations.subcategory,
        messages.message_index,
        messages.assistant_turn_index,
        coalesce(turn_blocks.think_blocks, 0) as think_blocks,
        coalesce(turn_blocks.empty_think_blocks, 0) as empty_think_blocks,
        coalesce(turn_blocks.think_chars, 0) as think_chars,
        coalesce(turn_blocks.think_words, 0) as think_words,
        coalesce(turn_blocks.has_unclosed_think, false) as has_unclosed_think,
        coalesce(turn_blocks.has_unopened_think, false) as has_unopened_think,
        coalesce(turn_calls.tool_calls, 0) as tool_calls,
        coalesce(turn_calls.malformed_tool_calls, 0) as malformed_tool_calls,
        coalesce(turn_calls.undeclared_tool_calls, 0) as undeclared_tool_calls,
        coalesce(turn_blocks.text_blocks, 0) > 0 as has_visible_text,
        coalesce(turn_blocks.visible_text_chars, 0) as visible_text_chars,
        messages.preceded_by,
        messages.is_last_message

    from messages
    inner join conversations
        on messages.conversation_key = conversations.conversation_key
    left join turn_blocks
        on
            messages.conversation_key = turn_blocks.conversation_key
            and messages.message_index = turn_blocks.message_index
    left join turn_calls
        on
            messages.conversation_key = turn_calls.conversation_key
            and messages.message_index = turn_calls.message_index
    where messages.message_role = 'gpt'

),

final as (

    select
        cast(conversation_key as {{ dbt.type_string() }}) as conversation_key,
        cast(conversation_id as {{ dbt.type_string() }}) as conversation_id,
        cast(load_id as {{ dbt.type_string() }}) as load_id,
        cast(config as {{ dbt.type_string() }}) as config,
        cast(category as {{ dbt.type_string() }}) as category,
        cast(subcategory as {{ dbt.type_string() }}) as subcategory,
        cast(message_index as integer) as message_index,
        cast(assistant_turn_index as integer) as assistant_turn_index,
        cast(think_blocks as integer) as think_blocks,
        cast(empty_think_blocks as integer) as empty_think_blocks,
        cast(think_chars as bigint) as think_chars,
        cast(think_words as bigint) as think_words,
        cast(has_unclosed_think as boolean) as has_unclosed_think,
        cast(has_unopened_think as boolean) as has_unopened_think,
        cast(tool_calls as integer) as tool_calls,
        cast(malformed_tool_calls as integer) as malformed_tool_calls,
        cast(undeclared_tool_calls as integer) as undeclared_tool_calls,
        cast(has_visible_text as boolean) as has_visible_text,
        cast(visible_text_chars as bigint) as visible_text_chars,
        cast(
            case
                when think_words > 0 and tool_calls > 0 then 'reasoning_and_tool'
                when think_words > 0 then 'reasoning_only'
                when tool_calls > 0 then 'tool_only'
                else 'neither'
            end as {{ dbt.type_string() }}
        ) as turn_kind,
        cast(preceded_by as {{ dbt.type_string() }}) as preceded_by,
        cast(is_last_message as boolean) as is_last_message,
        cast({{ tracehouse.rules_version() }} as integer) as rules_version

    from joined

)

select * from final

{# One row per assistant (gpt) message. Rules: _definitions.md, turn_rules. #}

with

conversations as (

    select * from {{ ref('stg_hermes__conversations') }}
    {{ tracehouse.where_load_is_new() }}

),

assistant_turns as (

    select * from {{ ref('int_assistant_turns_classified') }}
    {{ tracehouse.where_load_changed() }}

),

final as (

    select
        cast(assistant_turns.conversation_key as {{ dbt.type_string() }}) as conversation_key,
        cast(conversations.conversation_id as {{ dbt.type_string() }}) as conversation_id,
        cast(conversations.load_id as {{ dbt.type_string() }}) as load_id,
        cast(conversations.config as {{ dbt.type_string() }}) as config,
        cast(conversations.category as {{ dbt.type_string() }}) as category,
        cast(conversations.subcategory as {{ dbt.type_string() }}) as subcategory,
        cast(assistant_turns.message_index as integer) as message_index,
        cast(assistant_turns.assistant_turn_index as integer) as assistant_turn_index,
        cast(assistant_turns.think_blocks as integer) as think_blocks,
        cast(assistant_turns.empty_think_blocks as integer) as empty_think_blocks,
        cast(assistant_turns.think_chars as bigint) as think_chars,
        cast(assistant_turns.think_words as bigint) as think_words,
        cast(assistant_turns.has_unclosed_think as boolean) as has_unclosed_think,
        cast(assistant_turns.has_unopened_think as boolean) as has_unopened_think,
        cast(assistant_turns.tool_calls as integer) as tool_calls,
        cast(assistant_turns.malformed_tool_calls as integer) as malformed_tool_calls,
        cast(assistant_turns.undeclared_tool_calls as integer) as undeclared_tool_calls,
        cast(assistant_turns.has_visible_text as boolean) as has_visible_text,
        cast(assistant_turns.visible_text_chars as bigint) as visible_text_chars,
        cast(assistant_turns.turn_kind as {{ dbt.type_string() }}) as turn_kind,
        cast(assistant_turns.preceded_by as {{ dbt.type_string() }}) as preceded_by,
        cast(assistant_turns.is_last_message as boolean) as is_last_message

    from assistant_turns
    inner join conversations
        on assistant_turns.conversation_key = conversations.conversation_key

)

select * from final

{#
  One row per conversation: what the export's filters and manifest need (counts, flags, the
  stable validation fraction, the declared tools). The examples themselves are not stored
  here: the writer assembles each conversation's `messages` or `conversations` array from
  export_messages, a bounded batch of conversations at a time (tracehouse/export.py). One
  ordered aggregate over every message of every conversation held the whole export in memory
  at once and ran out of it on kimi-sized data, at 2 GB and at 6 GB.
#}

with

conversations as (

    select * from {{ ref('stg_hermes__conversations') }}
    {{ tracehouse.where_load_is_new() }}

),

export_messages as (

    select * from {{ ref('export_messages') }}
    {{ tracehouse.where_load_changed() }}

),

per_conversation as (

    select
        conversation_key,
        count(*) as messages,
        count(*) filter (where message_role = 'gpt') as assistant_turns,
        count(*) filter (where not is_representable) as non_representable_messages,
        count(*) filter (
            where not is_representable and message_role = 'gpt'
        ) as non_representable_assistant_turns,
        sum(tool_calls) as tool_calls,
        sum(malformed_tool_calls) as malformed_tool_calls,
        sum(failed_tool_calls) as failed_tool_calls,
        sum(message_chars) as conversation_chars

    from export_messages
    group by conversation_key

),

final as (

    select
        ---------- keys
        conversations.conversation_key,

        ---------- attributes
        conversations.conversation_id,
        conversations.load_id,
        conversations.source,
        conversations.config,
        conversations.split,
        conversations.row_index,
        conversations.category,
        conversations.subcategory,
        conversations.task,
        case
            when {{ tracehouse.json_strict_valid('conversations.tools_json') }}
                and left({{ tracehouse.strip_whitespace('conversations.tools_json') }}, 1) = '['
                then {{ tracehouse.export_json_parse('conversations.tools_json') }}
        end as tools_json,
        cast(coalesce(per_conversation.messages, 0) as integer) as messages,
        cast(coalesce(per_conversation.assistant_turns, 0) as integer) as assistant_turns,
        cast(coalesce(per_conversation.tool_calls, 0) as integer) as tool_calls,
        cast(coalesce(per_conversation.malformed_tool_calls, 0) as integer) as malformed_tool_calls,
        cast(coalesce(per_conversation.failed_tool_calls, 0) as integer) as failed_tool_calls,
        cast(
            coalesce(per_conversation.non_representable_messages, 0) as integer
        ) as non_representable_messages,
        cast(
            coalesce(per_conversation.non_representable_assistant_turns, 0) as integer
        ) as non_representable_assistant_turns,
        cast(coalesce(per_conversation.conversation_chars, 0) as bigint) as conversation_chars,
        {{ tracehouse.export_stable_fraction(
            'coalesce(conversations.conversation_id, conversations.conversation_key)'
        ) }} as validation_fraction

    from conversations
    left join per_conversation
        on conversations.conversation_key = per_conversation.conversation_key

)

select * from final

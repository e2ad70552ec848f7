{#
  One row per message of every conversation (the ShareGPT grain), with what it becomes in the
  `messages` export (TRL / OpenAI conversational) and whether that is lossless.

  The layout `tracehouse.export.messages_to_sharegpt` rebuilds a message with:
  - assistant: ["<think>\n" + reasoning + "\n</think>\n"] + content + calls joined by "\n",
    each call "<tool_call>\n" + json.dumps({"name", "arguments"}) + "\n</tool_call>";
    empty reasoning is "<think>\n</think>\n".
  - tool: consecutive structured tool messages form one ShareGPT message, their responses
    "<tool_response>\n" + json.dumps({"tool_call_id"?, "name", "content"}) + "\n</tool_response>"
    joined by "\n".
  - anything else: the content as it is.

  Here the assistant layout is rebuilt in SQL from the exported pieces and compared with the
  original value, and the tool layout is checked against the message's blocks where its
  pieces are made (int_tool_messages_rebuilt.is_layout_exact, which says why that is the same
  test); JSON is only exported structured when its text is exactly what json.dumps writes
  (export_json_is_python_dumps). A message that fails either check is not
  representable and is exported as plain `content` holding the original value (the
  converter gives it back as is), flagged and counted.
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

assistant_turns as (

    select * from {{ ref('int_assistant_turns_rebuilt') }}
    {{ tracehouse.where_load_changed() }}

),

turn_calls as (

    select * from {{ ref('int_turn_calls_gathered') }}
    {{ tracehouse.where_load_changed() }}

),

tool_messages as (

    select * from {{ ref('int_tool_messages_rebuilt') }}
    {{ tracehouse.where_load_changed() }}

),

---------- every message

previous_roles as (

    -- the windows sort only the key, index, role and a length, never the message text: a
    -- message's ChatML length is its length plus that of the ChatML of an empty message
    -- (the window argument is computed inside the window operator, so a text expression
    -- there made it carry every message's text: 18 s of operator time at 10x kimi)
    select
        conversation_key,
        message_index,
        lag(message_role) over (
            partition by conversation_key order by message_index
        ) as previous_message_role,
        coalesce(sum(message_chars + length({{ tracehouse.export_chatml_message(
            tracehouse.export_shown_role('message_role'), "''"
        ) }})) over (
            partition by conversation_key
            order by message_index
            rows between unbounded preceding and 1 preceding
        ), 0) + length({{ tracehouse.export_chatml_assistant_header() }}) as prompt_chars

    -- read from the view, not the `messages` CTE, so that the CTE is not materialized with
    -- its text for a second reader
    from {{ ref('stg_hermes__messages') }}
    {{ tracehouse.where_slice_changed() }}

),

joined as (

    select
        messages.conversation_key,
        messages.message_index,
        messages.conversation_id,
        conversations.load_id,
        messages.message_role,
        messages.message_text,
        messages.message_chars,
        previous_roles.previous_message_role,
        previous_roles.prompt_chars,
        assistant_turns.reasoning_content,
        assistant_turns.assistant_content,
        coalesce(turn_calls.tool_calls, 0) as tool_calls,
        coalesce(turn_calls.malformed_tool_calls, 0) as malformed_tool_calls,
        coalesce(turn_calls.failed_tool_calls, 0) as failed_tool_calls,
        coalesce(turn_calls.are_calls_exportable, true) as are_calls_exportable,
        turn_calls.calls_layout,
        turn_calls.tool_calls_json,
        turn_calls.tool_calls_openai_json,
        coalesce(tool_messages.tool_responses, 0) as tool_responses,
        tool_messages.are_responses_exportable,
        tool_messages.is_layout_exact as is_responses_layout_exact,
        tool_messages.tool_messages_json

    from messages
    inner join conversations
        on messages.conversation_key = conversations.conversation_key
    left join previous_roles
        on
            messages.conversation_key = previous_roles.conversation_key
            and messages.message_index = previous_roles.message_index
    left join assistant_turns
        on
            messages.conversation_key = assistant_turns.conversation_key
            and messages.message_index = assistant_turns.message_index
    left join turn_calls
        on
            messages.conversation_key = turn_calls.conversation_key
            and messages.message_index = turn_calls.message_index
    left join tool_messages
        on
            messages.conversation_key = tool_messages.conversation_key
            and messages.message_index = tool_messages.message_index

),

rebuilt as (

    -- the gpt layout, compared below; a tool message's layout is checked where its
    -- responses are (int_tool_messages_rebuilt.is_layout_exact)
    select
        *,
        case
            when message_role = 'gpt'
                then
                    case
                        when reasoning_content is null then ''
                        when reasoning_content = '' then '<think>' || chr(10) || '</think>' || chr(10)
                        else '<think>' || chr(10) || reasoning_content || chr(10) || '</think>' || chr(10)
                    end
                    || assistant_content
                    || coalesce(calls_layout, '')
        end as rebuilt_text

    from joined

),

classified as (

    select
        *,
        {{ tracehouse.export_role('message_role') }} as role,
        coalesce(
            message_role in ('system', 'human')
            or (message_role = 'gpt' and are_calls_exportable and rebuilt_text = message_text)
            or (
                message_role = 'tool'
                and coalesce(previous_message_role, '') != 'tool'
                and are_responses_exportable
                and is_responses_layout_exact
            ),
            false
        ) as is_representable

    from rebuilt

),

shaped as (

    select
        *,
        case
            when role is null
                then {{ tracehouse.export_json_object_flat([
                    ('role', "coalesce(message_role, 'unknown')"),
                    ('content', 'message_text'),
                ]) }}
            when not is_representable
                then {{ tracehouse.export_json_object_flat([('role', 'role'), ('content', 'message_text')]) }}
            when role = 'assistant'
                then {{ tracehouse.export_json_object_flat([
                    ('role', "'assistant'"),
                    ('content', 'assistant_content'),
                    ('reasoning_content', 'reasoning_content'),
                    ('tool_calls', tracehouse.export_json_value('tool_calls_json')),
                ]) }}
            when role = 'tool' then null
            else {{ tracehouse.export_json_object_flat([('role', 'role'), ('content', 'message_text')]) }}
        end as message_object,
        case
            when role = 'assistant' and is_representable and tool_calls > 0
                then {{ tracehouse.export_json_object_flat([
                    ('role', "'assistant'"),
                    ('content', 'assistant_content'),
                    ('reasoning_content', 'reasoning_content'),
                    ('tool_calls', tracehouse.export_json_value('tool_calls_openai_json')),
                ]) }}
        end as message_object_openai,
        case
            when message_role = 'gpt'
                then case when malformed_tool_calls > 0 or failed_tool_calls > 0 then 0 else 1 end
        end as weight

    from classified

),

final as (

    select
        ---------- keys
        conversation_key,
        cast(message_index as integer) as message_index,

        ---------- attributes
        conversation_id,
        load_id,
        message_role,
        {{ tracehouse.export_shown_role('message_role') }} as role,
        message_text,
        cast(message_chars as bigint) as message_chars,
        is_representable,
        case
            when message_role = 'gpt' and is_representable then reasoning_content
        end as reasoning_content,
        case
            when message_role = 'gpt' and is_representable then assistant_content
        end as assistant_content,
        cast(tool_calls as integer) as tool_calls,
        cast(malformed_tool_calls as integer) as malformed_tool_calls,
        cast(failed_tool_calls as integer) as failed_tool_calls,
        cast(tool_responses as integer) as tool_responses,
        cast(weight as integer) as weight,
        cast(prompt_chars as bigint) as prompt_chars,

        ---------- what the message becomes in the export (JSON arrays of messages)
        messages_json,
        -- stored only where it differs (an assistant turn with calls): the other messages
        -- would repeat messages_json, half a gigabyte on kimi-sized data
        {{ tracehouse.export_json_parse("'[' || message_object_openai || ']'") }} as messages_openai_json

    from (
        select
            *,
            case
                when role = 'tool' and is_representable then tool_messages_json
                else {{ tracehouse.export_json_parse("'[' || message_object || ']'") }}
            end as messages_json
        from shaped
    ) as shaped

)

select * from final

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

  Here the same layout is rebuilt in SQL from the exported pieces and compared with the
  original value; JSON is only exported structured when its text is exactly what json.dumps
  writes (export_json_is_python_dumps). A message that fails either check is not
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
    {{ tracehouse.where_conversation_changed() }}

),

blocks as {{ tracehouse.inlined_cte() }} (

    select * from {{ ref('int_blocks_parsed') }}
    {{ tracehouse.where_conversation_changed() }}

),

calls_parsed as {{ tracehouse.inlined_cte() }} (

    select * from {{ ref('int_tool_calls_parsed') }}
    {{ tracehouse.where_conversation_changed() }}

),

calls_paired as {{ tracehouse.inlined_cte() }} (

    select * from {{ ref('int_tool_calls_paired') }}
    {{ tracehouse.where_conversation_changed() }}

),

responses as {{ tracehouse.inlined_cte() }} (

    select * from {{ ref('int_tool_responses_classified') }}
    {{ tracehouse.where_conversation_changed() }}

),

---------- assistant turns: reasoning, visible text, calls

think_blocks as (

    select
        conversation_key,
        message_index,
        case
            when block_body = chr(10) then ''
            when
                length(block_body) >= 2
                and left(block_body, 1) = chr(10)
                and right(block_body, 1) = chr(10)
                then substring(block_body, 2, length(block_body) - 2)
            else block_body
        end as reasoning_content

    from blocks
    where
        message_role = 'gpt'
        and block_index = 0
        and block_kind = 'think'
        and has_opening_tag
        and has_closing_tag

),

first_calls as (

    select
        conversation_key,
        message_index,
        min(block_index) as first_call_block_index

    from blocks
    where message_role = 'gpt' and block_kind = 'tool_call'
    group by conversation_key, message_index

),

visible_pieces as {{ tracehouse.inlined_cte() }} (

    select
        blocks.conversation_key,
        blocks.message_index,
        blocks.block_index,
        blocks.block_body,
        count(*) over (
            partition by blocks.conversation_key, blocks.message_index
        ) as pieces

    from blocks
    left join first_calls
        on
            blocks.conversation_key = first_calls.conversation_key
            and blocks.message_index = first_calls.message_index
    where
        blocks.message_role = 'gpt'
        and blocks.block_kind in ('text', 'whitespace')
        and (
            first_calls.first_call_block_index is null
            or blocks.block_index < first_calls.first_call_block_index
        )

),

visible_texts as (

    -- most turns have one visible piece: it is taken as it is; only turns with several are
    -- gathered (a text aggregate state cannot spill)
    select
        conversation_key,
        message_index,
        block_body as visible_text

    from visible_pieces
    where pieces = 1

    union all

    select
        conversation_key,
        message_index,
        visible_text

    from (
        -- several pieces: a window, not a GROUP BY (see responses_gathered)
        select
            conversation_key,
            message_index,
            block_index,
            min(block_index) over pieces_window as first_block_index,
            {{ tracehouse.export_string_agg_over('block_body', "''", 'pieces_window', 'block_index') }} as visible_text

        from visible_pieces
        where pieces > 1
        window pieces_window as (
            partition by conversation_key, message_index
            order by block_index
            rows between unbounded preceding and unbounded following
        )
    ) as gathered
    where block_index = first_block_index

),

call_counts as (

    -- read from the model, not the `calls_parsed` CTE, so that the CTE (with its bodies) has
    -- one reader
    select
        conversation_key,
        message_index,
        count(*) as calls_in_message

    from {{ ref('int_tool_calls_parsed') }}
    {{ tracehouse.where_conversation_changed() }}
    group by conversation_key, message_index

),

calls_checked as {{ tracehouse.inlined_cte() }} (

    select
        calls_parsed.conversation_key,
        calls_parsed.message_index,
        calls_parsed.call_index,
        calls_parsed.tool_name,
        calls_parsed.call_body,
        calls_parsed.is_malformed,
        calls_paired.status,
        call_counts.calls_in_message,
        '{"name": '
        || {{ tracehouse.json_to_text('calls_parsed.call_fields_name') }}
        || ', "arguments": ' as call_prefix,
        case
            when not calls_parsed.is_malformed and calls_parsed.is_json_object
                then
                    {{ tracehouse.json_kind('calls_parsed.arguments') }} = 'object'
                    and {{ tracehouse.export_json_keys('calls_parsed.call_body') }} = 'name,arguments'
                    and {{ tracehouse.export_json_is_python_dumps('calls_parsed.call_body') }}
            else false
        end as is_call_representable

    from (
        select
            *,
            {{ tracehouse.list_element(
                tracehouse.json_extract_paths('case when is_json_object then call_body end', ['$.name']),
                0
            ) }} as call_fields_name
        from calls_parsed
    ) as calls_parsed
    left join calls_paired
        on
            calls_parsed.conversation_key = calls_paired.conversation_key
            and calls_parsed.message_index = calls_paired.message_index
            and calls_parsed.call_index = calls_paired.call_index
    inner join call_counts
        on
            calls_parsed.conversation_key = call_counts.conversation_key
            and calls_parsed.message_index = call_counts.message_index

),

calls_split as {{ tracehouse.inlined_cte() }} (

    select
        *,
        coalesce(
            is_call_representable
            and {{ tracehouse.export_starts_with('call_body', 'call_prefix') }}
            and right(call_body, 1) = '}',
            false
        ) as is_call_exportable,
        substring(
            call_body, length(call_prefix) + 1, length(call_body) - length(call_prefix) - 1
        ) as arguments_text

    from calls_checked

),

calls_gathered as (

    -- a turn with several calls: windows over its rows, not a GROUP BY (see responses_gathered)
    select
        conversation_key,
        message_index,
        call_index,
        min(call_index) over calls_window as first_call_index,
        calls_in_message as tool_calls,
        count(*) filter (where is_malformed) over calls_window as malformed_tool_calls,
        count(*) filter (where status = 'error') over calls_window as failed_tool_calls,
        bool_and(is_call_exportable) over calls_window as are_calls_exportable,
        {{ tracehouse.export_string_agg_over(
            "'<tool_call>' || chr(10) || call_body || chr(10) || '</tool_call>'",
            'chr(10)',
            'calls_window',
            'call_index'
        ) }} as calls_layout,
        -- keep_nulls: json_merge_patch would also drop null members inside the arguments
        -- ("timeout": null), which calls_layout keeps, so the lossless check could not see it.
        {{ tracehouse.export_json_array_agg_over(
            tracehouse.export_json_object([
                ('type', "'function'"),
                ('function', tracehouse.export_json_object([
                    ('name', 'tool_name'),
                    ('arguments', tracehouse.export_json_parse(
                        'case when is_call_exportable then arguments_text end'
                    )),
                ], keep_nulls=true)),
            ], keep_nulls=true),
            'calls_window',
            'call_index'
        ) }} as tool_calls_json,
        {{ tracehouse.export_json_array_agg_over(
            tracehouse.export_json_object([
                ('type', "'function'"),
                ('function', tracehouse.export_json_object([
                    ('name', 'tool_name'),
                    ('arguments', 'arguments_text'),
                ], keep_nulls=true)),
            ], keep_nulls=true),
            'calls_window',
            'call_index'
        ) }} as tool_calls_openai_json

    from calls_split
    where calls_in_message > 1
    window calls_window as (
        partition by conversation_key, message_index
        order by call_index
        rows between unbounded preceding and unbounded following
    )

),

turn_calls as (

    -- most turns have one call: its pieces are taken as they are; the others are gathered
    -- above (a text aggregate state cannot spill)
    select
        conversation_key,
        message_index,
        1 as tool_calls,
        case when is_malformed then 1 else 0 end as malformed_tool_calls,
        case when status = 'error' then 1 else 0 end as failed_tool_calls,
        is_call_exportable as are_calls_exportable,
        '<tool_call>' || chr(10) || call_body || chr(10) || '</tool_call>' as calls_layout,
        {{ tracehouse.export_json_array(
            tracehouse.export_json_object([
                ('type', "'function'"),
                ('function', tracehouse.export_json_object([
                    ('name', 'tool_name'),
                    ('arguments', tracehouse.export_json_parse(
                        'case when is_call_exportable then arguments_text end'
                    )),
                ], keep_nulls=true)),
            ], keep_nulls=true)
        ) }} as tool_calls_json,
        {{ tracehouse.export_json_array(
            tracehouse.export_json_object([
                ('type', "'function'"),
                ('function', tracehouse.export_json_object([
                    ('name', 'tool_name'),
                    ('arguments', 'arguments_text'),
                ], keep_nulls=true)),
            ], keep_nulls=true)
        ) }} as tool_calls_openai_json

    from calls_split
    where calls_in_message = 1

    union all

    select
        conversation_key,
        message_index,
        tool_calls,
        malformed_tool_calls,
        failed_tool_calls,
        are_calls_exportable,
        calls_layout,
        tool_calls_json,
        tool_calls_openai_json

    from calls_gathered
    where call_index = first_call_index

),

---------- tool messages: one structured message per response block

response_blocks as {{ tracehouse.inlined_cte() }} (

    select
        conversation_key,
        message_index,
        block_index,
        {{ tracehouse.strip_whitespace('block_body') }} as response_body

    from blocks
    where block_kind = 'tool_response'

),

response_counts as (

    -- read from the model, not the `responses` CTE, so that the CTE has one reader
    select
        conversation_key,
        message_index,
        count(*) as responses_in_message

    from {{ ref('int_tool_responses_classified') }}
    {{ tracehouse.where_conversation_changed() }}
    group by conversation_key, message_index

),

responses_checked as {{ tracehouse.inlined_cte() }} (

    select
        responses.conversation_key,
        responses.message_index,
        responses.response_index,
        responses.tool_call_id,
        responses.tool_name,
        responses.status,
        responses.is_json_object,
        response_blocks.response_body,
        response_counts.responses_in_message

    from responses
    inner join response_blocks
        on
            responses.conversation_key = response_blocks.conversation_key
            and responses.message_index = response_blocks.message_index
            and responses.block_index = response_blocks.block_index
    inner join response_counts
        on
            responses.conversation_key = response_counts.conversation_key
            and responses.message_index = response_counts.message_index

),

responses_typed as {{ tracehouse.inlined_cte() }} (

    select
        *,
        case
            when is_json_object
                then {{ tracehouse.export_json_keys('response_body') }}
        end as response_keys,
        {{ tracehouse.list_element('response_fields', 0) }} as tool_call_id_json,
        {{ tracehouse.list_element('response_fields', 1) }} as name_json,
        {{ tracehouse.list_element('response_fields', 2) }} as content_json

    from (
        select
            *,
            case
                when is_json_object
                    then {{ tracehouse.json_extract_paths(
                        'response_body', ['$.tool_call_id', '$.name', '$.content']
                    ) }}
            end as response_fields
        from responses_checked
    ) as with_fields

),

responses_split as {{ tracehouse.inlined_cte() }} (

    select
        *,
        case
            when response_keys = 'tool_call_id,name,content'
                then '{"tool_call_id": ' || {{ tracehouse.json_to_text('tool_call_id_json') }}
                    || ', "name": ' || {{ tracehouse.json_to_text('name_json') }} || ', "content": '
            when response_keys = 'name,content'
                then '{"name": ' || {{ tracehouse.json_to_text('name_json') }} || ', "content": '
        end as response_prefix,
        case
            when {{ tracehouse.json_kind('content_json') }} = 'string'
                then {{ tracehouse.json_text('content_json') }}
        end as content_string

    from responses_typed

),

responses_exportable as {{ tracehouse.inlined_cte() }} (

    select
        *,
        coalesce(
            response_prefix is not null
            and {{ tracehouse.json_kind('name_json') }} = 'string'
            and (
                tool_call_id_json is null
                or {{ tracehouse.json_kind('tool_call_id_json') }} = 'string'
            )
            and {{ tracehouse.export_json_is_python_dumps('response_body') }}
            and {{ tracehouse.export_starts_with('response_body', 'response_prefix') }}
            and right(response_body, 1) = '}'
            and not (
                content_string is not null
                and {{ tracehouse.json_strict_valid('content_string') }}
                and not {{ tracehouse.export_json_is_string(
                    'case when ' ~ tracehouse.json_strict_valid('content_string') ~ ' then content_string end'
                ) }}
            ),
            false
        ) as is_response_exportable,
        coalesce(
            content_string,
            substring(
                response_body,
                length(response_prefix) + 1,
                length(response_body) - length(response_prefix) - 1
            )
        ) as content_text

    from responses_split

),

responses_gathered as (

    -- a message with several responses: windows over its rows, not a GROUP BY, because an
    -- aggregate state holding text cannot spill and a window's partitions can (at 10x kimi
    -- the GROUP BY over these ~0.5 GB of bodies ran out of memory at 2 GB)
    select
        conversation_key,
        message_index,
        response_index,
        responses_in_message as tool_responses,
        bool_and(is_response_exportable) over messages_window as are_responses_exportable,
        {{ tracehouse.export_string_agg_over(
            "'<tool_response>' || chr(10) || response_body || chr(10) || '</tool_response>'",
            'chr(10)',
            'messages_window',
            'response_index'
        ) }} as responses_layout,
        {{ tracehouse.export_json_array_agg_over(
            tracehouse.export_json_object_flat([
                ('role', "'tool'"),
                ('name', 'tool_name'),
                ('tool_call_id', 'tool_call_id'),
                ('content', 'content_text'),
            ]),
            'messages_window',
            'response_index'
        ) }} as tool_messages_json

    from responses_exportable
    where responses_in_message > 1
    window messages_window as (
        partition by conversation_key, message_index
        order by response_index
        rows between unbounded preceding and unbounded following
    )

),

tool_messages as (

    -- most tool messages have one response: taken as it is; the others are gathered above
    select
        conversation_key,
        message_index,
        1 as tool_responses,
        is_response_exportable as are_responses_exportable,
        '<tool_response>' || chr(10) || response_body || chr(10) || '</tool_response>' as responses_layout,
        {{ tracehouse.export_json_array(tracehouse.export_json_object_flat([
                ('role', "'tool'"),
                ('name', 'tool_name'),
                ('tool_call_id', 'tool_call_id'),
                ('content', 'content_text'),
        ])) }} as tool_messages_json

    from responses_exportable
    where responses_in_message = 1

    union all

    select
        conversation_key,
        message_index,
        tool_responses,
        are_responses_exportable,
        responses_layout,
        tool_messages_json

    from responses_gathered
    where response_index = 0

),

---------- every message

previous_roles as (

    -- the windows sort only the key, index, role and a length (not the message text)
    select
        conversation_key,
        message_index,
        lag(message_role) over (
            partition by conversation_key order by message_index
        ) as previous_message_role,
        coalesce(sum(length({{ tracehouse.export_chatml_message(
            tracehouse.export_shown_role('message_role'), 'message_text'
        ) }})) over (
            partition by conversation_key
            order by message_index
            rows between unbounded preceding and 1 preceding
        ), 0) + length({{ tracehouse.export_chatml_assistant_header() }}) as prompt_chars

    -- read from the view, not the `messages` CTE, so that the CTE is not materialized with
    -- its text for a second reader
    from {{ ref('stg_hermes__messages') }}
    {{ tracehouse.where_conversation_changed() }}

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
        think_blocks.reasoning_content,
        case
            when think_blocks.reasoning_content is not null
                and left(coalesce(visible_texts.visible_text, ''), 1) = chr(10)
                then substring(visible_texts.visible_text, 2)
            else coalesce(visible_texts.visible_text, '')
        end as assistant_content,
        coalesce(turn_calls.tool_calls, 0) as tool_calls,
        coalesce(turn_calls.malformed_tool_calls, 0) as malformed_tool_calls,
        coalesce(turn_calls.failed_tool_calls, 0) as failed_tool_calls,
        coalesce(turn_calls.are_calls_exportable, true) as are_calls_exportable,
        turn_calls.calls_layout,
        turn_calls.tool_calls_json,
        turn_calls.tool_calls_openai_json,
        coalesce(tool_messages.tool_responses, 0) as tool_responses,
        tool_messages.are_responses_exportable,
        tool_messages.responses_layout,
        tool_messages.tool_messages_json

    from messages
    inner join conversations
        on messages.conversation_key = conversations.conversation_key
    left join previous_roles
        on
            messages.conversation_key = previous_roles.conversation_key
            and messages.message_index = previous_roles.message_index
    left join think_blocks
        on
            messages.conversation_key = think_blocks.conversation_key
            and messages.message_index = think_blocks.message_index
    left join visible_texts
        on
            messages.conversation_key = visible_texts.conversation_key
            and messages.message_index = visible_texts.message_index
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
            when message_role = 'tool' then responses_layout
            else message_text
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
                and rebuilt_text = message_text
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

{#
  One row per tool message that holds `<tool_response>` blocks, with the pieces its
  `messages` export is made of: one structured tool message per response (JSON), and whether
  the Hermes layout the converter writes rebuilds the message byte-exact.

  The converter writes a tool message's responses as `<tool_response>\n` + stripped body +
  `\n</tool_response>`, joined by `\n`. That string equals the message exactly when the
  message's blocks (which rebuild it: assert_blocks_rebuild_messages) are a closed response,
  then (a `\n` whitespace block, a closed response) any number of times, and nothing else,
  each response's body being `\n` + its stripped body + `\n`: parsing the layout gives
  those blocks, and the parse is a function of the text. So the check reads each block once
  and no layout text is built, stored or compared (at 10x kimi the layouts were 1.5 GB that
  export_messages had to hold in a join).

  A table of its own for the reason given in int_assistant_turns_rebuilt.
#}

{#- One response as a structured `tool` message; a message's responses are these in
    response order. -#}
{%- set tool_entry = tracehouse.export_json_object_flat([
    ('role', "'tool'"),
    ('name', 'tool_name'),
    ('tool_call_id', 'tool_call_id'),
    ('content', 'content_text'),
]) -%}


with

conversations as (

    select * from {{ ref('stg_hermes__conversations') }}
    {{ tracehouse.where_load_is_new() }}

),

blocks as {{ tracehouse.inlined_cte() }} (

    select * from {{ ref('int_blocks_parsed') }}
    {{ tracehouse.where_load_changed() }}

),

responses as {{ tracehouse.inlined_cte() }} (

    select * from {{ ref('int_tool_responses_classified') }}
    {{ tracehouse.where_load_changed() }}

),

layout_checks as (

    -- block_index counts every block of the message from 0: responses at even positions,
    -- single newlines between them, a response last
    select
        conversation_key,
        message_index,
        bool_and(
            case
                when block_index % 2 = 0
                    then
                        block_kind = 'tool_response'
                        and has_closing_tag
                        and block_body = chr(10) || {{ tracehouse.strip_whitespace('block_body') }} || chr(10)
                else block_kind = 'whitespace' and block_body = chr(10)
            end
        )
        and max(block_index) % 2 = 0 as is_layout_exact

    from blocks
    where message_role = 'tool'
    group by conversation_key, message_index

),

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
    {{ tracehouse.where_load_changed() }}
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
        {{ tracehouse.export_json_array_agg_over(
            tool_entry,
            'messages_window',
            'response_index'
        ) }} as tool_messages_json

    from responses_exportable
    where responses_in_message > 1
    window messages_window as (
        partition by conversation_key, message_index
    )

),

tool_messages as (

    -- most tool messages have one response: taken as it is; the others are gathered above
    select
        conversation_key,
        message_index,
        1 as tool_responses,
        is_response_exportable as are_responses_exportable,
        {{ tracehouse.export_json_array(tool_entry) }} as tool_messages_json

    from responses_exportable
    where responses_in_message = 1

    union all

    select
        conversation_key,
        message_index,
        tool_responses,
        are_responses_exportable,
        tool_messages_json

    from responses_gathered
    where response_index = 0

),

final as (

    select
        tool_messages.conversation_key,
        tool_messages.message_index,
        conversations.load_id,
        tool_messages.tool_responses,
        tool_messages.are_responses_exportable,
        layout_checks.is_layout_exact,
        tool_messages.tool_messages_json

    from tool_messages
    inner join conversations
        on tool_messages.conversation_key = conversations.conversation_key
    inner join layout_checks
        on
            tool_messages.conversation_key = layout_checks.conversation_key
            and tool_messages.message_index = layout_checks.message_index

)

select * from final

{#
  One row per assistant (gpt) message with tool calls: its calls as the Hermes layout and as
  TRL / OpenAI `tool_calls` JSON, with the counts and the check that every call is exportable
  structured. A piece of the `messages` export (see int_assistant_turns_rebuilt).
#}

{#- One call as the Hermes layout, and as a TRL (arguments an object) and an OpenAI (arguments
    a string) `tool_calls` entry; a turn's calls are these joined in call order.
    keep_nulls: json_merge_patch would also drop null members inside the arguments
    ("timeout": null), which calls_layout keeps, so the lossless check could not see it. -#}
{%- set call_layout = "'<tool_call>' || chr(10) || call_body || chr(10) || '</tool_call>'" -%}
{%- set trl_entry = tracehouse.export_json_object([
    ('type', "'function'"),
    ('function', tracehouse.export_json_object([
        ('name', 'tool_name'),
        ('arguments', tracehouse.export_json_parse(
            'case when is_call_exportable then arguments_text end'
        )),
    ], keep_nulls=true)),
], keep_nulls=true) -%}
{%- set openai_entry = tracehouse.export_json_object([
    ('type', "'function'"),
    ('function', tracehouse.export_json_object([
        ('name', 'tool_name'),
        ('arguments', 'arguments_text'),
    ], keep_nulls=true)),
], keep_nulls=true) -%}


with

conversations as (

    select * from {{ ref('stg_hermes__conversations') }}
    {{ tracehouse.where_load_is_new() }}

),

calls_parsed as {{ tracehouse.inlined_cte() }} (

    select * from {{ ref('int_tool_calls_parsed') }}
    {{ tracehouse.where_load_changed() }}

),

calls_paired as {{ tracehouse.inlined_cte() }} (

    select * from {{ ref('int_tool_calls_paired') }}
    {{ tracehouse.where_load_changed() }}

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
        -- the calls of the message: int_tool_calls_parsed has one row per call
        calls_parsed.parallel_width as calls_in_message,
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

    -- a turn with several calls: windows over its rows, not a GROUP BY (see
    -- responses_gathered in int_tool_messages_rebuilt)
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
            call_layout,
            'chr(10)',
            'calls_window',
            'call_index'
        ) }} as calls_layout,
        {{ tracehouse.export_json_array_agg_over(
            trl_entry,
            'calls_window',
            'call_index'
        ) }} as tool_calls_json,
        {{ tracehouse.export_json_array_agg_over(
            openai_entry,
            'calls_window',
            'call_index'
        ) }} as tool_calls_openai_json

    from calls_split
    where calls_in_message > 1
    window calls_window as (
        partition by conversation_key, message_index
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
        {{ call_layout }} as calls_layout,
        {{ tracehouse.export_json_array(trl_entry) }} as tool_calls_json,
        {{ tracehouse.export_json_array(openai_entry) }} as tool_calls_openai_json

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

final as (

    select
        turn_calls.conversation_key,
        turn_calls.message_index,
        conversations.load_id,
        turn_calls.tool_calls,
        turn_calls.malformed_tool_calls,
        turn_calls.failed_tool_calls,
        turn_calls.are_calls_exportable,
        turn_calls.calls_layout,
        turn_calls.tool_calls_json,
        turn_calls.tool_calls_openai_json

    from turn_calls
    inner join conversations
        on turn_calls.conversation_key = conversations.conversation_key

)

select * from final

{#
  One row per `<tool_call>` block of an assistant (gpt) message, malformed ones included.
  The body is parsed once: one strict validity check, then one extraction of `name` and
  `arguments`. Rules: _definitions.md, tool_call_rules.
#}

with

conversations as (

    select * from {{ ref('stg_hermes__conversations') }}
    {{ tracehouse.where_load_is_new() }}

),

blocks as (

    select * from {{ ref('int_blocks_parsed') }}
    {{ tracehouse.where_load_changed() }}

),

tool_definitions as (

    select * from {{ ref('stg_hermes__tool_definitions') }}
    {{ tracehouse.where_slice_changed() }}

),

declared_tools as (

    select distinct
        conversation_key,
        tool_name

    from tool_definitions
    where tool_name is not null

),

calls as (

    select
        conversation_key,
        message_index,
        block_index,
        cast(row_number() over (
            partition by conversation_key, message_index
            order by block_index
        ) - 1 as integer) as call_index,
        cast(count(*) over (
            partition by conversation_key, message_index
        ) as integer) as parallel_width,
        {{ tracehouse.strip_whitespace('block_body') }} as call_body,
        is_unclosed

    from blocks
    where block_kind = 'tool_call'

),

validated as (

    select
        *,
        {{ tracehouse.json_strict_valid('call_body') }} as is_valid_json

    from calls

),

extracted as (

    select
        *,
        is_valid_json and left(call_body, 1) = '{' as is_json_object,
        case
            when is_valid_json and left(call_body, 1) = '{'
                then {{ tracehouse.json_extract_paths('call_body', ['$.name', '$.arguments']) }}
        end as call_fields

    from validated

),

named as (

    select
        conversation_key,
        message_index,
        call_index,
        block_index,
        parallel_width,
        call_body,
        is_unclosed,
        is_valid_json,
        is_json_object,
        case
            when {{ tracehouse.json_kind(tracehouse.list_element('call_fields', 0)) }} = 'string'
                then {{ tracehouse.json_text(tracehouse.list_element('call_fields', 0)) }}
        end as tool_name,
        {{ tracehouse.list_element('call_fields', 1) }} as arguments

    from extracted

),

final as (

    select
        named.conversation_key,
        named.message_index,
        named.call_index,
        named.block_index,
        conversations.load_id,
        named.tool_name,
        named.arguments,
        named.call_body,
        named.is_valid_json,
        named.is_json_object,
        named.is_unclosed,
        named.tool_name is null or named.is_unclosed as is_malformed,
        declared_tools.tool_name is not null as is_declared_tool,
        named.parallel_width

    from named
    inner join conversations
        on named.conversation_key = conversations.conversation_key
    left join declared_tools
        on
            named.conversation_key = declared_tools.conversation_key
            and named.tool_name = declared_tools.tool_name

)

select * from final

{#
  The steps of every conversation, in order, with a short text preview of each, for the
  report's trace replay and its example error messages. A step is one non-blank block
  (_definitions.md, segment_rules): the system prompt, a human message, a think block,
  visible text (an `answer` when the assistant turn calls no tool), a tool call, or a tool
  response with its strict status (failure_rules). Previews hold the first 300 characters;
  `text_chars` says how long the full text is. For a response whose body is JSON,
  `result_preview` is the part a reader wants: `content.error` when set, else
  `content.output`, else `content` (a string as is, other JSON minified).

  Built after export_messages, never beside it: the two are the build's largest queries
  and, run at the same time, they ran out of DuckDB's 2 GB on 15k conversations (each
  passes alone).
#}

-- depends_on: {{ ref('export_messages') }}

with

conversations as (

    select * from {{ ref('stg_hermes__conversations') }}
    {{ tracehouse.where_load_is_new() }}

),

blocks as (

    select * from {{ ref('int_blocks_parsed') }}
    {{ tracehouse.where_load_changed() }}

),

calls as (

    select * from {{ ref('int_tool_calls_parsed') }}
    {{ tracehouse.where_load_changed() }}

),

calls_paired as (

    select * from {{ ref('int_tool_calls_paired') }}
    {{ tracehouse.where_load_changed() }}

),

responses as (

    select * from {{ ref('int_tool_responses_classified') }}
    {{ tracehouse.where_load_changed() }}

),

steps as (

    select
        conversation_key,
        message_index,
        block_index,
        message_role,
        block_kind,
        block_body,
        block_chars,
        bool_or(block_kind = 'tool_call') over (
            partition by conversation_key, message_index
        ) as message_has_call

    from blocks
    where block_kind != 'whitespace'

),

classified as (

    select
        steps.conversation_key,
        steps.message_index,
        steps.block_index,
        steps.message_role,
        case
            when steps.message_role in ('system', 'human') then steps.message_role
            when steps.block_kind = 'think' then 'think'
            when steps.block_kind = 'tool_call' then 'call'
            when steps.block_kind = 'tool_response' then 'response'
            when steps.message_role = 'gpt' and not steps.message_has_call then 'answer'
            when steps.message_role = 'gpt' then 'text'
            else 'other'
        end as step_kind,
        coalesce(calls.tool_name, responses.tool_name) as tool_name,
        coalesce(responses.status, calls_paired.status) as status,
        coalesce(responses.error_kind, calls_paired.error_kind) as error_kind,
        {{ tracehouse.strip_whitespace('steps.block_body') }} as step_text,
        case
            when steps.block_kind = 'tool_response' and responses.is_valid_json
                then {{ tracehouse.json_extract_paths(
                    'steps.block_body', ['$.content.error', '$.content.output', '$.content']
                ) }}
        end as result_fields

    from steps
    -- The block kind is folded into the join key rather than written as its own condition:
    -- a condition on the left side alone in a left join's `on` makes DuckDB 1.5 plan a
    -- blockwise nested-loop join (quadratic; duckdb/duckdb#13718) instead of a hash join.
    left join calls
        on
            steps.conversation_key = calls.conversation_key
            and steps.message_index = calls.message_index
            and (case when steps.block_kind = 'tool_call' then steps.block_index end)
            = calls.block_index
    left join calls_paired
        on
            calls.conversation_key = calls_paired.conversation_key
            and calls.message_index = calls_paired.message_index
            and calls.call_index = calls_paired.call_index
    left join responses
        on
            steps.conversation_key = responses.conversation_key
            and steps.message_index = responses.message_index
            and (case when steps.block_kind = 'tool_response' then steps.block_index end)
            = responses.block_index

),

with_result as (

    {#- the readable part of a response: error, else output, else content -#}
    select
        *,
        {%- set error_field = tracehouse.list_element('result_fields', 0) %}
        {%- set output_field = tracehouse.list_element('result_fields', 1) %}
        {%- set content_field = tracehouse.list_element('result_fields', 2) %}
        case
            when {{ tracehouse.json_kind(error_field) }} = 'string'
                then {{ tracehouse.json_text(error_field) }}
            when {{ tracehouse.json_kind(error_field) }} in ('object', 'array', 'number', 'boolean')
                then {{ tracehouse.json_to_text(error_field) }}
            when {{ tracehouse.json_kind(output_field) }} = 'string'
                then {{ tracehouse.json_text(output_field) }}
            when {{ tracehouse.json_kind(content_field) }} = 'string'
                then {{ tracehouse.json_text(content_field) }}
            when result_fields is not null
                then {{ tracehouse.json_to_text(content_field) }}
            when step_kind = 'response'
                then step_text
        end as result_text

    from classified

),

previewed as (

    -- only previews and lengths go on: the step order below is a window, and a window
    -- carries its rows' columns (at 10x the kimi size, the full texts took it from 14 s to
    -- a spilling sort)
    select
        conversation_key,
        message_index,
        block_index,
        message_role,
        step_kind,
        tool_name,
        status,
        error_kind,
        length(step_text) as text_chars,
        left(step_text, 300) as text_preview,
        length(result_text) as result_chars,
        left(result_text, 300) as result_preview

    from with_result

),

final as (

    select
        ---------- keys
        classified.conversation_key,
        cast(row_number() over (
            partition by classified.conversation_key
            order by classified.message_index, classified.block_index
        ) - 1 as integer) as step_index,
        conversations.conversation_id,
        conversations.load_id,
        conversations.source,
        conversations.config,
        cast(classified.message_index as integer) as message_index,
        cast(classified.block_index as integer) as block_index,

        ---------- attributes
        classified.message_role,
        classified.step_kind,
        classified.tool_name,
        classified.status,
        classified.error_kind,
        cast(classified.text_chars as bigint) as text_chars,
        classified.text_preview,
        cast(classified.result_chars as bigint) as result_chars,
        classified.result_preview

    from previewed as classified
    inner join conversations
        on classified.conversation_key = conversations.conversation_key

)

select * from final

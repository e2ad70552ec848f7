{#
  One row per `<tool_response>` block of a tool message; every block is parsed, not only the
  first. The body is parsed once (one validity check, one extraction of every field the
  classification needs); extracted values are classified by their first character.
  Rules: _definitions.md, failure_rules.
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

responses as (

    select
        blocks.conversation_key,
        blocks.message_index,
        blocks.block_index,
        conversations.load_id,
        cast(row_number() over (
            partition by blocks.conversation_key, blocks.message_index
            order by blocks.block_index
        ) - 1 as integer) as response_index,
        {{ tracehouse.strip_whitespace('blocks.block_body') }} as response_body,
        blocks.is_unclosed

    from blocks
    inner join conversations
        on blocks.conversation_key = conversations.conversation_key
    where blocks.block_kind = 'tool_response'

),

validated as (

    select
        *,
        {{ tracehouse.json_strict_valid('response_body') }} as is_valid_json

    from responses

),

extracted as (

    select
        *,
        is_valid_json and left(response_body, 1) = '{' as is_json_object,
        case
            when is_valid_json
                then {{ tracehouse.json_extract_paths('response_body', [
                    '$',
                    '$.tool_call_id',
                    '$.name',
                    '$.content',
                    '$.content.exit_code',
                    '$.content.error',
                    '$.content.success',
                    '$.content.status',
                    '$.content.output',
                ]) }}
        end as response_fields

    from validated

),

fields as (

    select
        conversation_key,
        message_index,
        response_index,
        block_index,
        load_id,
        response_body,
        is_unclosed,
        is_valid_json,
        is_json_object,
        {{ tracehouse.json_to_text(tracehouse.list_element('response_fields', 0)) }} as response_json_text,
        {{ tracehouse.list_element('response_fields', 1) }} as tool_call_id_json,
        {{ tracehouse.list_element('response_fields', 2) }} as name_json,
        {{ tracehouse.list_element('response_fields', 3) }} as content_json,
        {{ tracehouse.list_element('response_fields', 4) }} as exit_code_json,
        {{ tracehouse.list_element('response_fields', 5) }} as error_json,
        {{ tracehouse.list_element('response_fields', 6) }} as success_json,
        {{ tracehouse.list_element('response_fields', 7) }} as status_json,
        {{ tracehouse.list_element('response_fields', 8) }} as output_json

    from extracted

),

typed as (

    select
        *,
        {{ tracehouse.json_kind('content_json') }} as content_kind,
        case
            when {{ tracehouse.json_kind('content_json') }} = 'string'
                then {{ tracehouse.json_text('content_json') }}
        end as content_text,
        case
            when {{ tracehouse.json_kind('status_json') }} = 'string'
                then {{ tracehouse.json_text('status_json') }}
        end as status_text

    from fields

),

classified as (

    select
        *,
        case
            when
                {{ tracehouse.json_kind('exit_code_json') }} = 'number'
                and cast({{ tracehouse.json_to_text('exit_code_json') }} as double) != 0
                then 'exit_code'
            when
                error_json is not null
                and {{ tracehouse.json_kind('error_json') }} != 'null'
                and {{ tracehouse.json_to_text('error_json') }} != '""'
                then 'error_field'
            when {{ tracehouse.json_to_text('success_json') }} = 'false'
                then 'success_false'
            when lower(status_text) in ('error', 'failed')
                then 'status_error'
            -- the phrase has no character JSON escapes, so it is searched in the (minified)
            -- JSON text of the string, which is not decoded
            when
                (
                    {{ tracehouse.json_kind('output_json') }} = 'string'
                    and {{ tracehouse.text_contains(
                        tracehouse.json_to_text('output_json'), "'Traceback (most recent call last)'"
                    ) }}
                )
                or (
                    content_kind = 'string'
                    and {{ tracehouse.text_contains(
                        tracehouse.json_to_text('content_json'), "'Traceback (most recent call last)'"
                    ) }}
                )
                then 'traceback'
            when
                {{ tracehouse.regex_matches(
                    'case when is_valid_json then content_text else response_body end',
                    '^' ~ tracehouse.python_whitespace_class() ~ '*(?i:error)'
                ) }}
                then 'error_text'
        end as error_kind

    from typed

),

legacy_dumped as (

    -- the tutorial lower-cases json.dumps of the first block: of the parsed object when the
    -- body is JSON (minified here: the only difference, ": " against ":", is absorbed by the
    -- pattern), of the body as a string otherwise (quotes are escaped there, so only `error`
    -- and `traceback` can match)
    select
        *,
        case
            when response_index != 0 then null
            when is_valid_json
                then {{ tracehouse.regex_matches('response_json_text', '(?i)error|traceback|"exit_code":1') }}
            else {{ tracehouse.regex_matches('response_body', '(?i)error|traceback') }}
        end as legacy_error

    from classified

),

final as (

    select
        conversation_key,
        message_index,
        response_index,
        block_index,
        load_id,
        case
            when {{ tracehouse.json_kind('tool_call_id_json') }} in ('string', 'number', 'boolean')
                then {{ tracehouse.json_text('tool_call_id_json') }}
        end as tool_call_id,
        case
            when {{ tracehouse.json_kind('name_json') }} = 'string'
                then {{ tracehouse.json_text('name_json') }}
        end as tool_name,
        content_kind,
        cast(case
            when not is_valid_json then length(response_body)
            when content_kind = 'string' then length(content_text)
            when content_json is not null then length({{ tracehouse.json_to_text('content_json') }})
        end as bigint) as content_chars,
        is_valid_json,
        is_json_object,
        is_unclosed,
        case when error_kind is null then 'ok' else 'error' end as status,
        error_kind,
        legacy_error

    from legacy_dumped

)

select * from final

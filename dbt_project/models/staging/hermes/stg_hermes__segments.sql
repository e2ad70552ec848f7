{#
  The lexer: each message is cut at its tag tokens (`<think>`, `</think>`, `<tool_call>`,
  `</tool_call>`, `<tool_response>`, `</tool_response>`) with one regexp split and one
  regexp extract, then exploded with positions. A tag segment is a tag token and the text
  after it up to the next tag token; segment 0 is the text before the first tag and has no
  tag. Concatenating tag || text in segment order rebuilds the message byte-exact.
  Which tags mean anything (by role) is decided by the parse in int_blocks_parsed, which cuts
  each message at the same tokens itself (one list expression per message, macros/parse.sql)
  instead of reading these rows: this view is the lexer's output for inspection and tests.
#}

with

messages as (

    select * from {{ ref('stg_hermes__messages') }}

),

tokenized as (

    select
        conversation_key,
        message_index,
        source,
        config,
        split,
        message_role,
        {{ tracehouse.regex_split('message_text', tracehouse.tag_pattern()) }} as segment_texts,
        {{ tracehouse.regex_extract_all('message_text', tracehouse.tag_pattern()) }} as segment_tags

    from messages

),

exploded as (

    select
        conversation_key,
        message_index,
        source,
        config,
        split,
        message_role,
        segment_tags,
        {{ tracehouse.explode_with_position('segment_texts', 'segment_text', 'segment_index') }}

    from tokenized

),

renamed as (

    select
        ---------- keys
        conversation_key,
        message_index,
        segment_index,

        ---------- attributes
        source,
        config,
        split,
        message_role,
        case
            when segment_index > 0
                then {{ tracehouse.list_element('segment_tags', 'segment_index - 1') }}
        end as segment_tag,
        segment_text

    from exploded

)

select * from renamed

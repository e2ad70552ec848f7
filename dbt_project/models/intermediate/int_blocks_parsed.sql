{#
  The parse: every message is cut into blocks following the segment_rules of _definitions.md
  (documented as the `block_parse` doc block), one list expression per message
  (tracehouse.parse_blocks, macros/parse.sql), then exploded with positions.

  Performance (kimi: 185k messages, 450 MB of text): the message is split on its tag tokens
  with plain string splits and the blocks are built as a list per message, so there is no row
  per tag segment and no window; the only join takes load_id from the conversations (a small
  build side). The text is read once and each body is copied once.

  Incremental by load, like every intermediate table (dbt_project.yml): a build parses only
  the messages of loads this table has not seen.
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

parsed as (

    select
        messages.conversation_key,
        messages.message_index,
        conversations.load_id,
        messages.message_role,
        {{ tracehouse.parse_blocks('messages.message_text', 'messages.message_role') }} as blocks

    from messages
    inner join conversations
        on messages.conversation_key = conversations.conversation_key

),

exploded as (

    select
        conversation_key,
        message_index,
        load_id,
        message_role,
        {{ tracehouse.explode_with_position('blocks', 'block', 'block_index') }}

    from parsed

),

blocks as (

    select
        conversation_key,
        message_index,
        block_index,
        load_id,
        message_role,
        {{ tracehouse.struct_field('block', 'kind') }} as parsed_kind,
        {{ tracehouse.struct_field('block', 'body') }} as block_body,
        {{ tracehouse.struct_field('block', 'has_open') }} as has_opening_tag,
        {{ tracehouse.struct_field('block', 'has_close') }} as has_closing_tag

    from exploded

),

final as (

    select
        conversation_key,
        message_index,
        cast(block_index as integer) as block_index,
        load_id,
        message_role,
        case
            when parsed_kind = 'text' and {{ tracehouse.is_blank('block_body') }}
                then 'whitespace'
            else parsed_kind
        end as block_kind,
        block_body,
        cast(length(block_body) as bigint) as block_chars,
        has_opening_tag,
        has_closing_tag,
        parsed_kind != 'text' and has_opening_tag and not has_closing_tag as is_unclosed,
        parsed_kind = 'think' and has_closing_tag and not has_opening_tag as is_unopened

    from blocks

)

select * from final

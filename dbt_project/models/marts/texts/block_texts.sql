{#
  Every block of every message with its text, cut from the message by the block index when a
  query asks for it: the view to start from to read what a think block, call, response or
  answer said. Filter it (by conversation_key, conversation_id, kind) to read only those
  messages.
#}

with

conversations as (

    select * from {{ ref('stg_hermes__conversations') }}

),

messages as (

    select * from {{ ref('stg_hermes__messages') }}

),

blocks as (

    select * from {{ ref('int_blocks_parsed') }}

),

final as (

    select
        blocks.conversation_key,
        conversations.conversation_id,
        blocks.message_index,
        blocks.block_index,
        blocks.message_role,
        blocks.block_kind,
        blocks.has_opening_tag,
        blocks.has_closing_tag,
        substring(messages.message_text, blocks.body_offset, blocks.body_length) as block_text

    from blocks
    inner join conversations
        on blocks.conversation_key = conversations.conversation_key
    inner join messages
        on
            {{ tracehouse.same_conversation('conversations', 'messages') }}
            and blocks.message_index = messages.message_index

)

select * from final

-- Reconciliation: the block index loses nothing. In block order, each block's opening tag
-- (when it has one), body and closing tag (when it has one) rebuild its message byte-exact:
-- the blocks tile the text from its first character to its last, numbered from 0 without
-- gaps, and every tag a block claims is in the text where the block says. Returns the
-- messages that break this (a message with text and no block included).

with

messages as (

    select * from {{ ref('stg_hermes__messages') }}

),

messages_with_text as (

    -- a second import, so that `messages` (the text) has one reader and is not materialized
    select
        conversation_key,
        message_index

    from {{ ref('stg_hermes__messages') }}
    where message_text != ''

),

blocks as (

    select * from {{ ref('int_blocks_parsed') }}

),

spans as (

    select
        conversation_key,
        message_index,
        block_index,
        case when has_opening_tag then '<' || block_kind || '>' end as opening_tag,
        case when has_closing_tag then '</' || block_kind || '>' end as closing_tag,
        body_offset - case when has_opening_tag then length(block_kind) + 2 else 0 end as span_start,
        body_offset + body_length as body_end,
        body_offset + body_length
        + case when has_closing_tag then length(block_kind) + 3 else 0 end as span_end

    from blocks

),

placed as (

    select
        *,
        coalesce(lag(span_end) over message_blocks, 1) as expected_start,
        lag(block_index) over message_blocks as previous_block_index,
        max(block_index) over (partition by conversation_key, message_index) = block_index as is_last

    from spans
    window message_blocks as (partition by conversation_key, message_index order by block_index)

),

misplaced as (

    select
        placed.conversation_key,
        placed.message_index,
        placed.block_index

    from placed
    inner join messages
        on
            placed.conversation_key = messages.conversation_key
            and placed.message_index = messages.message_index
    where
        placed.span_start != placed.expected_start
        or placed.block_index != coalesce(placed.previous_block_index + 1, 0)
        or (placed.is_last and placed.span_end != length(messages.message_text) + 1)
        or case
            when placed.opening_tag is not null
                then substring(messages.message_text, placed.span_start, length(placed.opening_tag))
                != placed.opening_tag
        end
        or case
            when placed.closing_tag is not null
                then substring(messages.message_text, placed.body_end, length(placed.closing_tag))
                != placed.closing_tag
        end

),

unparsed as (

    select
        messages_with_text.conversation_key,
        messages_with_text.message_index,
        null as block_index

    from messages_with_text
    left join blocks
        on
            messages_with_text.conversation_key = blocks.conversation_key
            and messages_with_text.message_index = blocks.message_index
            and blocks.block_index = 0
    where blocks.block_index is null

)

select * from misplaced
union all
select * from unparsed

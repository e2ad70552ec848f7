-- Reconciliation: the block index loses nothing. In block order, each block's opening tag
-- (when it has one), body and closing tag (when it has one) rebuild its message byte-exact:
-- the blocks tile the text from its first character to its last, numbered from 0 without
-- gaps, and every tag a block claims is in the text where the block says. Returns the
-- messages that break this (a message with text and no block included).
--
-- The parse is incremental and its rows never change once written, so the test reads the
-- blocks that no successful build has checked yet (those parsed by this build, or by one that
-- failed: tracehouse.where_parse_unverified) and only their slices' messages: a build reads
-- the text it parsed, not the whole raw layer again. A character offset is found by walking
-- the text from its start, so in a text that is all ASCII (where characters are bytes) the
-- tags are read by byte slices instead (tracehouse.text_at).

with

conversations as (

    select * from {{ ref('stg_hermes__conversations') }}
    where load_id in (
        select load_id from {{ ref('int_blocks_parsed') }}
        where {{ tracehouse.where_parse_unverified() }}
    )

),

blocks as (

    -- The second condition holds for every unverified block. It is there for DuckDB's
    -- estimates: with it the blocks look the smaller side of the join below, so the join's
    -- hash table holds the blocks and the message text streams past them. Without it the
    -- table held the text, which at 10x spilled to disk (the test took 25 s instead of 13 s:
    -- bench/README.md).
    select * from {{ ref('int_blocks_parsed') }}
    where
        {{ tracehouse.where_parse_unverified() }}
        and load_id in (select conversations.load_id from conversations)

),

messages as (

    select * from {{ ref('stg_hermes__messages') }}
    where {{ tracehouse.slice_in_conversations() }}

),

messages_with_text as (

    -- a second import, so that `messages` (the text) has one reader and is not materialized
    select
        conversation_key,
        message_index

    from {{ ref('stg_hermes__messages') }}
    where {{ tracehouse.slice_in_conversations() }} and message_text != ''

),

first_blocks as (

    -- every message's first block, whichever build wrote it
    select
        conversation_key,
        message_index

    from {{ ref('int_blocks_parsed') }}
    where block_index = 0

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
    inner join (
        select
            conversation_key,
            message_index,
            message_text,
            length(message_text) as message_chars,
            {{ tracehouse.byte_length('message_text') }} = length(message_text) as is_ascii

        from messages
    ) as measured
        on
            placed.conversation_key = measured.conversation_key
            and placed.message_index = measured.message_index
    where
        placed.span_start != placed.expected_start
        or placed.block_index != coalesce(placed.previous_block_index + 1, 0)
        or (placed.is_last and placed.span_end != measured.message_chars + 1)
        or not {{ tracehouse.text_at(
            'measured.message_text', 'measured.is_ascii', 'placed.span_start', 'placed.opening_tag'
        ) }}
        or not {{ tracehouse.text_at(
            'measured.message_text', 'measured.is_ascii', 'placed.body_end', 'placed.closing_tag'
        ) }}

),

unparsed as (

    select
        messages_with_text.conversation_key,
        messages_with_text.message_index,
        null as block_index

    from messages_with_text
    left join first_blocks
        on
            messages_with_text.conversation_key = first_blocks.conversation_key
            and messages_with_text.message_index = first_blocks.message_index
    where first_blocks.message_index is null

)

select * from misplaced
union all
select * from unparsed

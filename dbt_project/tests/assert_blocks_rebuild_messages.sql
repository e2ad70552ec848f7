-- Reconciliation: parsing loses nothing. Each block's opening tag (when it has one), body and
-- closing tag (when it has one), concatenated in block order, rebuild every message
-- byte-exact. Returns the messages that do not.
--
-- Checked without concatenating (an ordered string aggregate holds all the text of a build
-- in memory and ran out of it at 2 GB on 15k conversations): every block's text must be the
-- message's text at the block's offset (the lengths of the blocks before it), and the
-- blocks' lengths must add up to the message's. Both hold exactly when the concatenation
-- is the message (up to a 64-bit collision of the digests below).
--
-- The block side of that comparison is a digest (tracehouse.text_digest), so the join that
-- brings each message to its blocks carries the message text only: joined with both texts,
-- at 10x the kimi size the join spilled and this test took a quarter of the build. For the
-- same reason the window that places the blocks sees only their lengths, and the text of the
-- messages is read once (`messages`); the list of messages to check comes from a second
-- import without it (`message_sizes`), so that `messages` is not materialized with its text
-- for a second reader.
--
-- Tested by load: only the loads this test has not passed on yet are read.

with

conversations as (

    -- the slices of the loads this test has not passed on yet (macros/tested_loads.sql):
    -- messages are filtered by slice, a raw column (macros/incremental.sql), and the raw
    -- layer holds one load per slice
    select
        source,
        config,
        split
    from {{ ref('stg_hermes__conversations') }}
    where {{ tracehouse.where_load_untested() }}

),

messages as (

    select * from {{ ref('stg_hermes__messages') }}
    where {{ tracehouse.slice_in_conversations() }}

),

message_sizes as (

    select
        conversation_key,
        message_index,
        message_chars

    from {{ ref('stg_hermes__messages') }}
    where {{ tracehouse.slice_in_conversations() }}

),

blocks as (

    select * from {{ ref('int_blocks_parsed') }}
    where {{ tracehouse.where_load_untested() }}

),

block_texts as (

    select
        conversation_key,
        message_index,
        block_index,
        case when has_opening_tag then '<' || block_kind || '>' else '' end
        || block_body
        || case when has_closing_tag then '</' || block_kind || '>' else '' end as block_text

    from blocks

),

block_measures as (

    -- no text leaves this CTE: the block's length and a digest
    select
        conversation_key,
        message_index,
        block_index,
        length(block_text) as block_chars,
        {{ tracehouse.text_digest('block_text') }} as block_digest

    from block_texts

),

block_checks as (

    -- the block's offset in its message: the lengths of the blocks before it
    select
        conversation_key,
        message_index,
        block_index,
        cast(coalesce(sum(block_chars) over (
            partition by conversation_key, message_index
            order by block_index
            rows between unbounded preceding and 1 preceding
        ), 0) + 1 as bigint) as block_start,
        block_chars,
        block_digest

    from block_measures

),

message_lengths as (

    select
        conversation_key,
        message_index,
        sum(block_chars) as rebuilt_chars

    from block_checks
    group by conversation_key, message_index

),

misplaced_blocks as (

    select distinct
        block_checks.conversation_key,
        block_checks.message_index

    from messages
    inner join block_checks
        on
            messages.conversation_key = block_checks.conversation_key
            and messages.message_index = block_checks.message_index
    where
        {{ tracehouse.text_digest(
            'substring(messages.message_text, block_checks.block_start, block_checks.block_chars)'
        ) }}
        != block_checks.block_digest

)

select
    message_sizes.conversation_key,
    message_sizes.message_index,
    message_sizes.message_chars,
    message_lengths.rebuilt_chars

from message_sizes
left join message_lengths
    on
        message_sizes.conversation_key = message_lengths.conversation_key
        and message_sizes.message_index = message_lengths.message_index
left join misplaced_blocks
    on
        message_sizes.conversation_key = misplaced_blocks.conversation_key
        and message_sizes.message_index = misplaced_blocks.message_index
where
    -- a message with text (message_chars is its length; null or empty text has no blocks)
    coalesce(message_sizes.message_chars, 0) > 0
    and (
        message_lengths.rebuilt_chars is null
        or message_lengths.rebuilt_chars != message_sizes.message_chars
        or misplaced_blocks.conversation_key is not null
    )

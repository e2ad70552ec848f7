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
-- at 10x the kimi size the join spilled and this test took a quarter of the build.

with

messages as (

    select * from {{ ref('stg_hermes__messages') }}

),

blocks as (

    select * from {{ ref('int_blocks_parsed') }}

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

block_checks as (

    -- no text leaves this CTE: the block's offset in its message, its length and a digest
    select
        conversation_key,
        message_index,
        block_index,
        cast(coalesce(sum(length(block_text)) over (
            partition by conversation_key, message_index
            order by block_index
            rows between unbounded preceding and 1 preceding
        ), 0) + 1 as bigint) as block_start,
        length(block_text) as block_chars,
        {{ tracehouse.text_digest('block_text') }} as block_digest

    from block_texts

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
    messages.conversation_key,
    messages.message_index,
    messages.message_chars,
    message_lengths.rebuilt_chars

from messages
left join message_lengths
    on
        messages.conversation_key = message_lengths.conversation_key
        and messages.message_index = message_lengths.message_index
left join misplaced_blocks
    on
        messages.conversation_key = misplaced_blocks.conversation_key
        and messages.message_index = misplaced_blocks.message_index
where
    coalesce(messages.message_text, '') != ''
    and (
        message_lengths.rebuilt_chars is null
        or message_lengths.rebuilt_chars != messages.message_chars
        or misplaced_blocks.conversation_key is not null
    )

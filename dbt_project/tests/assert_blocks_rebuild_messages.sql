-- Reconciliation: parsing loses nothing. Each block's opening tag (when it has one), body and
-- closing tag (when it has one), concatenated in block order, rebuild every message
-- byte-exact. Returns the messages that do not.
--
-- Checked without concatenating (an ordered string aggregate holds all the text of a build
-- in memory and ran out of it at 2 GB on 15k conversations): every block's text must be the
-- message's text at the block's offset (the lengths of the blocks before it), and the
-- blocks' lengths must add up to the message's. Both hold exactly when the concatenation
-- is the message.

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

block_offsets as (

    -- keys and lengths only: the window sorts no text
    select
        conversation_key,
        message_index,
        block_index,
        cast(coalesce(sum(length(block_text)) over (
            partition by conversation_key, message_index
            order by block_index
            rows between unbounded preceding and 1 preceding
        ), 0) + 1 as bigint) as block_start

    from block_texts

),

message_lengths as (

    select
        conversation_key,
        message_index,
        sum(length(block_text)) as rebuilt_chars

    from block_texts
    group by conversation_key, message_index

),

misplaced_blocks as (

    select distinct
        block_texts.conversation_key,
        block_texts.message_index

    from block_texts
    inner join block_offsets
        on
            block_texts.conversation_key = block_offsets.conversation_key
            and block_texts.message_index = block_offsets.message_index
            and block_texts.block_index = block_offsets.block_index
    inner join messages
        on
            block_texts.conversation_key = messages.conversation_key
            and block_texts.message_index = messages.message_index
    where
        substring(messages.message_text, block_offsets.block_start, length(block_texts.block_text))
        != block_texts.block_text

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

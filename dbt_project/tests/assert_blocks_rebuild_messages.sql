-- Reconciliation: tokenizing and parsing lose nothing. Each block's opening tag (when it has
-- one), body and closing tag (when it has one), concatenated in block order, rebuild every
-- message byte-exact. (Blocks are built from the lexer's tag segments, so this also checks
-- the lexer.) Returns the messages that do not.

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
        count(*) over (partition by conversation_key, message_index) as message_blocks,
        case when has_opening_tag then '<' || block_kind || '>' else '' end
        || block_body
        || case when has_closing_tag then '</' || block_kind || '>' else '' end as block_text

    from blocks

),

rebuilt as (

    -- a message of one block is that block; only the others need an ordered concatenation
    select
        conversation_key,
        message_index,
        block_text as rebuilt_text

    from block_texts
    where message_blocks = 1

    union all

    select
        conversation_key,
        message_index,
        {{ tracehouse.string_agg_ordered('block_text', 'block_index') }} as rebuilt_text

    from block_texts
    where message_blocks > 1
    group by conversation_key, message_index

)

select
    messages.conversation_key,
    messages.message_index,
    messages.message_chars,
    length(rebuilt.rebuilt_text) as rebuilt_chars

from messages
left join rebuilt
    on
        messages.conversation_key = rebuilt.conversation_key
        and messages.message_index = rebuilt.message_index
where
    coalesce(messages.message_text, '') != ''
    and (rebuilt.rebuilt_text is null or rebuilt.rebuilt_text != messages.message_text)

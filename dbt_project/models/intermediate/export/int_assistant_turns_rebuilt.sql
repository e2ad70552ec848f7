{#
  One row per assistant (gpt) message with the text pieces of its `messages` export: the
  reasoning and the visible text before the first call (its calls are in
  int_turn_calls_gathered). export_messages rebuilds the original from the pieces and flags
  the message representable only when that is byte-exact (the layout is in its header).

  The export's pieces are tables of their own so that export_messages joins stored pieces:
  computed inside it, at 10x the kimi size, their windows and joins held their text in memory
  at once and ran out of the 2 GB limit.
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

blocks as {{ tracehouse.inlined_cte() }} (

    select * from {{ ref('int_blocks_parsed') }}
    {{ tracehouse.where_load_changed() }}

),

think_blocks as (

    select
        conversation_key,
        message_index,
        case
            when block_body = chr(10) then ''
            when
                length(block_body) >= 2
                and left(block_body, 1) = chr(10)
                and right(block_body, 1) = chr(10)
                then substring(block_body, 2, length(block_body) - 2)
            else block_body
        end as reasoning_content

    from blocks
    where
        message_role = 'gpt'
        and block_index = 0
        and block_kind = 'think'
        and has_opening_tag
        and has_closing_tag

),

first_calls as (

    select
        conversation_key,
        message_index,
        min(block_index) as first_call_block_index

    from blocks
    where message_role = 'gpt' and block_kind = 'tool_call'
    group by conversation_key, message_index

),

visible_pieces as {{ tracehouse.inlined_cte() }} (

    select
        blocks.conversation_key,
        blocks.message_index,
        blocks.block_index,
        blocks.block_body,
        count(*) over (
            partition by blocks.conversation_key, blocks.message_index
        ) as pieces

    from blocks
    left join first_calls
        on
            blocks.conversation_key = first_calls.conversation_key
            and blocks.message_index = first_calls.message_index
    where
        blocks.message_role = 'gpt'
        and blocks.block_kind in ('text', 'whitespace')
        and (
            first_calls.first_call_block_index is null
            or blocks.block_index < first_calls.first_call_block_index
        )

),

visible_texts as (

    -- most turns have one visible piece: it is taken as it is; only turns with several are
    -- gathered (a text aggregate state cannot spill)
    select
        conversation_key,
        message_index,
        block_body as visible_text

    from visible_pieces
    where pieces = 1

    union all

    select
        conversation_key,
        message_index,
        visible_text

    from (
        -- several pieces: a window, not a GROUP BY (see the note in int_tool_messages_rebuilt)
        select
            conversation_key,
            message_index,
            block_index,
            min(block_index) over pieces_window as first_block_index,
            {{ tracehouse.export_string_agg_over('block_body', "''", 'pieces_window', 'block_index') }} as visible_text

        from visible_pieces
        where pieces > 1
        window pieces_window as (
            partition by conversation_key, message_index
        )
    ) as gathered
    where block_index = first_block_index

),

final as (

    select
        messages.conversation_key,
        messages.message_index,
        conversations.load_id,
        think_blocks.reasoning_content,
        case
            when think_blocks.reasoning_content is not null
                and left(coalesce(visible_texts.visible_text, ''), 1) = chr(10)
                then substring(visible_texts.visible_text, 2)
            else coalesce(visible_texts.visible_text, '')
        end as assistant_content

    from messages
    inner join conversations
        on messages.conversation_key = conversations.conversation_key
    left join think_blocks
        on
            messages.conversation_key = think_blocks.conversation_key
            and messages.message_index = think_blocks.message_index
    left join visible_texts
        on
            messages.conversation_key = visible_texts.conversation_key
            and messages.message_index = visible_texts.message_index
    where messages.message_role = 'gpt'

)

select * from final

{#
  The parse: tag segments (stg_hermes__segments) are assigned to blocks following the
  segment_rules of _definitions.md (documented as the `block_parse` doc block).

  Each tag segment is split into two atoms, its tag token and its text, so that a tag and the
  text after it can belong to different blocks (`</think>` closes the think block, the text
  after it is visible text). Window functions then carry the parse state:

  1. Containers (`<tool_call>` in gpt messages, `<tool_response>` in tool messages): every
     opening tag starts container number n; the container runs to the *last* closing tag
     before the next opening tag, or to the end of the message when there is none.
  2. Outside containers, in gpt messages, think blocks: a `<think>` opens a block unless one is
     already open (then it is text of that block); a `</think>` closes the open block; a
     `</think>` that comes before any think tag and before any `<tool_call>` makes everything
     from the start of the message one (unopened) think block; any other `</think>` is text.
     A think block still open at the next `<tool_call>` or at the end is unclosed.
  3. Everything else is text; text that is only white space is kind `whitespace`.

  Performance (kimi: 840k segments, 450 MB of text): the windows run on slim atoms (an
  integer message id, positions and the tag, never the text), and a block's body is fetched
  afterwards by joining its one text segment back. Only blocks that hold a tag as content
  (a literal `</tool_call>` in an argument, a stray `</think>`) have several pieces and need an
  ordered concatenation. Messages without any tag, and messages of other roles (whose tags
  are all text), skip the windows: they are one text block.
#}

with

segments as {{ tracehouse.materialized_cte() }} (

    select * from {{ ref('stg_hermes__segments') }}

),

---------- messages where no tag means anything: one text block, no parse

message_shapes as {{ tracehouse.materialized_cte() }} (

    select
        conversation_key,
        message_index,
        count(*) as segments,
        count(*) > 1 and coalesce(min(message_role), '') in ('gpt', 'tool') as needs_parse

    from segments
    group by conversation_key, message_index

),

untagged_messages as (

    -- messages without tags, and messages of roles whose tags are all text
    -- (the system prompt's literal `<tool_call>` example, a human quoting a tag)
    select
        conversation_key,
        message_index,
        segments

    from message_shapes
    where not needs_parse

),

single_segment_blocks as (

    select
        segments.conversation_key,
        segments.message_index,
        0 as block_index,
        segments.message_role,
        'text' as block_kind,
        segments.segment_text as block_body,
        false as has_opening_tag,
        false as has_closing_tag

    from segments
    inner join untagged_messages
        on
            segments.conversation_key = untagged_messages.conversation_key
            and segments.message_index = untagged_messages.message_index
    where untagged_messages.segments = 1 and segments.segment_text != ''

),

inactive_tag_blocks as (

    select
        segments.conversation_key,
        segments.message_index,
        0 as block_index,
        min(segments.message_role) as message_role,
        'text' as block_kind,
        {{ tracehouse.string_agg_ordered(
            "coalesce(segments.segment_tag, '') || segments.segment_text",
            'segments.segment_index'
        ) }} as block_body,
        false as has_opening_tag,
        false as has_closing_tag

    from segments
    inner join untagged_messages
        on
            segments.conversation_key = untagged_messages.conversation_key
            and segments.message_index = untagged_messages.message_index
    where untagged_messages.segments > 1
    group by segments.conversation_key, segments.message_index

),

---------- gpt and tool messages with tags: slim atoms, keyed by an integer message id

tagged_messages as {{ tracehouse.materialized_cte() }} (

    select
        conversation_key,
        message_index,
        row_number() over () as message_id

    from message_shapes
    where needs_parse

),

atoms as (

    select
        tagged_messages.message_id,
        segments.message_role,
        segments.segment_index,
        2 * segments.segment_index as atom_position,
        segments.segment_tag as atom_tag,
        true as is_tag

    from segments
    inner join tagged_messages
        on
            segments.conversation_key = tagged_messages.conversation_key
            and segments.message_index = tagged_messages.message_index
    where segments.segment_tag is not null

    union all

    select
        tagged_messages.message_id,
        segments.message_role,
        segments.segment_index,
        2 * segments.segment_index + 1 as atom_position,
        null as atom_tag,
        false as is_tag

    from segments
    inner join tagged_messages
        on
            segments.conversation_key = tagged_messages.conversation_key
            and segments.message_index = tagged_messages.message_index
    where segments.segment_text != ''

),

tags_activated as (

    select
        message_id,
        message_role,
        segment_index,
        atom_position,
        is_tag,
        atom_tag,
        case
            when
                message_role = 'gpt'
                and atom_tag in ('<think>', '</think>', '<tool_call>', '</tool_call>')
                then atom_tag
            when
                message_role = 'tool'
                and atom_tag in ('<tool_response>', '</tool_response>')
                then atom_tag
        end as active_tag

    from atoms

),

containers_numbered as (

    select
        *,
        sum(case when active_tag in ('<tool_call>', '<tool_response>') then 1 else 0 end) over (
            partition by message_id
            order by atom_position
            rows between unbounded preceding and current row
        ) as container_number

    from tags_activated

),

containers_closed as (

    select
        *,
        max(case when active_tag in ('</tool_call>', '</tool_response>') then atom_position end) over (
            partition by message_id, container_number
        ) as container_close_position

    from containers_numbered

),

containers_marked as (

    select
        *,
        container_number > 0
        and (
            container_close_position is null
            or atom_position <= container_close_position
        ) as is_in_container

    from containers_closed

),

think_tags as (

    select
        *,
        case
            when not is_in_container and active_tag in ('<think>', '</think>') then active_tag
        end as think_tag

    from containers_marked

),

think_state as (

    select
        *,
        {{ tracehouse.last_non_null('think_tag') }} over (
            partition by message_id, container_number
            order by atom_position
            rows between unbounded preceding and 1 preceding
        ) as previous_think_tag,
        min(case when think_tag = '<think>' then atom_position end) over (
            partition by message_id, container_number
        ) as first_think_open_position,
        min(case when think_tag = '</think>' then atom_position end) over (
            partition by message_id, container_number
        ) as first_think_close_position

    from think_tags

),

atoms_classified as (

    select
        message_id,
        message_role,
        segment_index,
        atom_position,
        is_tag,
        case
            when is_in_container
                then case message_role when 'gpt' then 'tool_call' else 'tool_response' end
            when
                container_number = 0
                and first_think_close_position is not null
                and atom_position <= first_think_close_position
                and (
                    first_think_open_position is null
                    or first_think_close_position < first_think_open_position
                )
                then 'think'
            when think_tag = '<think>' then 'think'
            when think_tag = '</think>' and previous_think_tag = '<think>' then 'think'
            when think_tag = '</think>' then 'text'
            when previous_think_tag = '<think>' then 'think'
            else 'text'
        end as block_kind,
        coalesce(
            active_tag in ('<tool_call>', '<tool_response>')
            or (think_tag = '<think>' and coalesce(previous_think_tag, '') != '<think>'),
            false
        ) as is_opening_tag,
        coalesce(
            (is_in_container and atom_position = container_close_position)
            or (think_tag = '</think>' and previous_think_tag = '<think>')
            or (
                container_number = 0
                and atom_position = first_think_close_position
                and (
                    first_think_open_position is null
                    or first_think_close_position < first_think_open_position
                )
            ),
            false
        ) as is_closing_tag

    from think_state

),

blocks_started as (

    select
        *,
        case
            when is_opening_tag then 1
            when
                block_kind = lag(block_kind) over (
                    partition by message_id
                    order by atom_position
                )
                then 0
            else 1
        end as starts_block

    from atoms_classified

),

blocks_numbered as (

    select
        *,
        sum(starts_block) over (
            partition by message_id
            order by atom_position
            rows between unbounded preceding and current row
        ) - 1 as block_index

    from blocks_started

),

block_shapes as (

    -- a block without a tag among its content has at most one text atom: its body
    select
        message_id,
        block_index,
        min(message_role) as message_role,
        min(block_kind) as block_kind,
        bool_or(is_opening_tag) as has_opening_tag,
        bool_or(is_closing_tag) as has_closing_tag,
        bool_or(is_tag and not is_opening_tag and not is_closing_tag) as has_tag_content,
        max(case when not is_tag then segment_index end) as text_segment_index

    from blocks_numbered
    group by message_id, block_index

),

---------- bodies

single_piece_blocks as (

    select
        tagged_messages.conversation_key,
        tagged_messages.message_index,
        block_shapes.block_index,
        block_shapes.message_role,
        block_shapes.block_kind,
        coalesce(segments.segment_text, '') as block_body,
        block_shapes.has_opening_tag,
        block_shapes.has_closing_tag

    from block_shapes
    inner join tagged_messages
        on block_shapes.message_id = tagged_messages.message_id
    left join segments
        on
            tagged_messages.conversation_key = segments.conversation_key
            and tagged_messages.message_index = segments.message_index
            and block_shapes.text_segment_index = segments.segment_index
    where not block_shapes.has_tag_content

),

multi_piece_atoms as (

    select
        blocks_numbered.message_id,
        blocks_numbered.block_index,
        blocks_numbered.segment_index,
        blocks_numbered.atom_position,
        blocks_numbered.is_tag

    from blocks_numbered
    inner join block_shapes
        on
            blocks_numbered.message_id = block_shapes.message_id
            and blocks_numbered.block_index = block_shapes.block_index
    where
        block_shapes.has_tag_content
        and not (blocks_numbered.is_opening_tag or blocks_numbered.is_closing_tag)

),

multi_piece_bodies as (

    select
        multi_piece_atoms.message_id,
        multi_piece_atoms.block_index,
        {{ tracehouse.string_agg_ordered(
            'case when multi_piece_atoms.is_tag then segments.segment_tag else segments.segment_text end',
            'multi_piece_atoms.atom_position'
        ) }} as block_body

    from multi_piece_atoms
    inner join tagged_messages
        on multi_piece_atoms.message_id = tagged_messages.message_id
    inner join segments
        on
            tagged_messages.conversation_key = segments.conversation_key
            and tagged_messages.message_index = segments.message_index
            and multi_piece_atoms.segment_index = segments.segment_index
    group by multi_piece_atoms.message_id, multi_piece_atoms.block_index

),

multi_piece_blocks as (

    select
        tagged_messages.conversation_key,
        tagged_messages.message_index,
        block_shapes.block_index,
        block_shapes.message_role,
        block_shapes.block_kind,
        multi_piece_bodies.block_body,
        block_shapes.has_opening_tag,
        block_shapes.has_closing_tag

    from block_shapes
    inner join tagged_messages
        on block_shapes.message_id = tagged_messages.message_id
    inner join multi_piece_bodies
        on
            block_shapes.message_id = multi_piece_bodies.message_id
            and block_shapes.block_index = multi_piece_bodies.block_index
    where block_shapes.has_tag_content

),

blocks as (

    select * from single_segment_blocks
    union all
    select * from inactive_tag_blocks
    union all
    select * from single_piece_blocks
    union all
    select * from multi_piece_blocks

),

final as (

    select
        conversation_key,
        message_index,
        cast(block_index as integer) as block_index,
        message_role,
        case
            when block_kind = 'text' and {{ tracehouse.is_blank('block_body') }}
                then 'whitespace'
            else block_kind
        end as block_kind,
        block_body,
        cast(length(block_body) as bigint) as block_chars,
        has_opening_tag,
        has_closing_tag,
        block_kind != 'text' and has_opening_tag and not has_closing_tag as is_unclosed,
        block_kind = 'think' and has_closing_tag and not has_opening_tag as is_unopened

    from blocks

)

select * from final

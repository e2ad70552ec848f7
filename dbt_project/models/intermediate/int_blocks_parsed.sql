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
#}

with

segments as (

    select * from {{ ref('stg_hermes__segments') }}

),

atoms as (

    select
        conversation_key,
        message_index,
        message_role,
        2 * segment_index as atom_position,
        segment_tag as atom_text,
        true as is_tag

    from segments
    where segment_tag is not null

    union all

    select
        conversation_key,
        message_index,
        message_role,
        2 * segment_index + 1 as atom_position,
        segment_text as atom_text,
        false as is_tag

    from segments
    where segment_text != ''

),

tags_activated as (

    select
        conversation_key,
        message_index,
        message_role,
        atom_position,
        atom_text,
        case
            when not is_tag then null
            when
                message_role = 'gpt'
                and atom_text in ('<think>', '</think>', '<tool_call>', '</tool_call>')
                then atom_text
            when
                message_role = 'tool'
                and atom_text in ('<tool_response>', '</tool_response>')
                then atom_text
        end as active_tag

    from atoms

),

containers_numbered as (

    select
        *,
        sum(case when active_tag in ('<tool_call>', '<tool_response>') then 1 else 0 end) over (
            partition by conversation_key, message_index
            order by atom_position
            rows between unbounded preceding and current row
        ) as container_number

    from tags_activated

),

containers_closed as (

    select
        *,
        max(case when active_tag in ('</tool_call>', '</tool_response>') then atom_position end) over (
            partition by conversation_key, message_index, container_number
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
        ) as is_in_container,
        case
            when
                container_number > 0
                and (
                    container_close_position is null
                    or atom_position <= container_close_position
                )
                then null
            when active_tag in ('<think>', '</think>') then active_tag
        end as think_tag

    from containers_closed

),

think_state as (

    select
        *,
        {{ tracehouse.last_non_null('think_tag') }} over (
            partition by conversation_key, message_index, container_number
            order by atom_position
            rows between unbounded preceding and 1 preceding
        ) as previous_think_tag,
        min(case when think_tag = '<think>' then atom_position end) over (
            partition by conversation_key, message_index, container_number
        ) as first_think_open_position,
        min(case when think_tag = '</think>' then atom_position end) over (
            partition by conversation_key, message_index, container_number
        ) as first_think_close_position

    from containers_marked

),

atoms_classified as (

    select
        conversation_key,
        message_index,
        message_role,
        atom_position,
        atom_text,
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
                    partition by conversation_key, message_index
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
            partition by conversation_key, message_index
            order by atom_position
            rows between unbounded preceding and current row
        ) - 1 as block_index

    from blocks_started

),

blocks as (

    select
        conversation_key,
        message_index,
        block_index,
        min(message_role) as message_role,
        min(block_kind) as block_kind,
        coalesce(
            {{ tracehouse.string_agg_ordered(
                'case when not (is_opening_tag or is_closing_tag) then atom_text end',
                'atom_position'
            ) }},
            ''
        ) as block_body,
        bool_or(is_opening_tag) as has_opening_tag,
        bool_or(is_closing_tag) as has_closing_tag

    from blocks_numbered
    group by conversation_key, message_index, block_index

),

final as (

    select
        conversation_key,
        message_index,
        cast(block_index as integer) as block_index,
        message_role,
        case
            when block_kind = 'text' and {{ tracehouse.strip_whitespace('block_body') }} = ''
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

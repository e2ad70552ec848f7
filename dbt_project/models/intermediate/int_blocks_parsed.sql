{#
  The parse: one pass over every message gives its blocks (think, tool_call, tool_response,
  text, whitespace) as positions into the message text, with every fact the marts need read
  from each body once (macros/block_facts.sql). No text is stored: later models and the text
  views cut it from the raw messages by offset. Rules: the block_parse doc block.

  1. Each message is cut at the tags its role gives meaning to (one split and one extract)
     into pieces: a tag and the text after it up to the next tag (piece 0 has no tag). The
     facts of every piece's text are read there, as if it were the whole body of the block
     its tag opens: for nearly every block it is.
  2. Running sums of the pieces' lengths give the positions. Each opening container tag gets
     its end: the first closing tag whose body is valid JSON (searched on the text only when
     the next piece is not that), else the first closing tag before the next opening one,
     else none (unclosed). A tag inside an earlier container's span is part of it.
  3. Think blocks come from the think tags between containers; text fills the rest.
  4. The few blocks whose body spans several pieces (a literal tag inside a JSON string, a
     second `<think>` inside a think block) read their facts from the body cut from the text.

  Windows and joins run on message_seq, an integer key of the message, not on the text key.
#}

-- `facts.x` is a field of the facts struct, which sqlfluff takes for a table's column
-- noqa: disable=RF01,RF03

with

conversations as (

    select * from {{ ref('stg_hermes__conversations') }}
    {{ tracehouse.where_load_is_new() }}

),

messages as (

    select * from {{ ref('stg_hermes__messages') }}
    {{ tracehouse.where_slice_changed() }}

),

message_keys as (

    -- keys only: the role is carried from the parse's own scan, since deriving it here would
    -- read every message's text a second time (4 s of 24 s at 10x, bench/README.md)
    select
        message_seq,
        conversation_key,
        message_index

    from {{ ref('stg_hermes__messages') }}
    {{ tracehouse.where_slice_changed() }}

),

tokenized as (

    select
        message_seq,
        message_role,
        case message_role
            when 'gpt' then {{ tracehouse.regex_extract_all('message_text', '</?(?:think|tool_call)>') }}
            when 'tool' then {{ tracehouse.regex_extract_all('message_text', '</?tool_response>') }}
        end as tags,
        case message_role
            when 'gpt' then {{ tracehouse.regex_split('message_text', '</?(?:think|tool_call)>') }}
            when 'tool' then {{ tracehouse.regex_split('message_text', '</?tool_response>') }}
            else {{ tracehouse.list_of('message_text') }}
        end as gaps

    from messages
    where message_text is not null

),

pieces as (

    select
        message_seq,
        message_role,
        tags,
        -- the usual layout: an opening tag, its closing tag, and so on, with at most one think
        -- block, first; with every call or response body valid JSON (checked below) each
        -- piece is then a block of its own
        coalesce({{ tracehouse.regex_full_match(
            tracehouse.list_join('tags', "''"),
            '(?:<think></think>)?(?:<tool_call></tool_call>)*|(?:<tool_response></tool_response>)*'
        ) }}, true) as is_usual_layout,
        {{ tracehouse.explode_with_position('gaps', 'gap', 'piece_index') }}

    from tokenized

),

tagged_pieces as (

    select
        message_seq,
        message_role,
        is_usual_layout,
        piece_index,
        gap,
        case when piece_index > 0 then {{ tracehouse.list_element('tags', 'piece_index - 1') }} end as tag,
        piece_index = {{ tracehouse.list_position('tags', "'<tool_response>'") }} as is_first_response

    from pieces

),

piece_json as (

    select
        *,
        {{ tracehouse.body_json('gap', 'tag') }} as json_fields

    from tagged_pieces

),

piece_facts as (

    select
        message_seq,
        message_role,
        is_usual_layout,
        piece_index,
        tag,
        is_first_response,
        cast(coalesce(length(tag), 0) as bigint) as tag_chars,
        cast(length(gap) as bigint) as gap_chars,
        {{ tracehouse.body_facts('gap', 'tag', 'json_fields', 'message_role', 'is_first_response') }} as facts

    from piece_json

),

positioned as (

    select
        message_seq,
        message_role,
        piece_index,
        tag,
        tag_chars,
        gap_chars,
        is_first_response,
        facts,
        coalesce(tag in ('<think>', '<tool_call>', '<tool_response>'), false) as is_opening_tag,
        tag in ('<tool_call>', '<tool_response>') as is_container_open,
        tag in ('</tool_call>', '</tool_response>') as is_container_close,
        cast(1 + coalesce(sum(tag_chars + gap_chars) over pieces_before, 0) as bigint) as tag_start,
        cast(sum(tag_chars + gap_chars) over whole_message as bigint) as message_chars,
        is_usual_layout and coalesce(
            bool_and(
                case when tag in ('<tool_call>', '<tool_response>') then facts.is_valid_json end
            ) over whole_message,
            true
        ) as is_regular,
        -- in a regular message: each opening tag's piece is a block, and so is the text of
        -- piece 0 and of each closing tag's piece when not empty
        cast(sum(
            case when tag in ('<think>', '<tool_call>', '<tool_response>') or gap_chars > 0 then 1 else 0 end
        ) over pieces_up_to - 1 as integer) as regular_block_index

    from piece_facts
    window
        pieces_before as (
            partition by message_seq
            order by piece_index
            rows between unbounded preceding and 1 preceding
        ),
        pieces_up_to as (
            partition by message_seq
            order by piece_index
            rows between unbounded preceding and current row
        ),
        whole_message as (partition by message_seq)

),

regular_blocks as (

    select
        message_seq,
        message_role,
        regular_block_index as block_index,
        case
            when is_opening_tag then substring(tag, 2, length(tag) - 2)
            when facts.is_blank then 'whitespace'
            else 'text'
        end as block_kind,
        tag_start + tag_chars as body_offset,
        gap_chars as body_length,
        is_opening_tag as has_opening_tag,
        is_opening_tag as has_closing_tag,
        facts

    from positioned
    where is_regular and (is_opening_tag or gap_chars > 0)

),

neighbours as (

    -- every other message, by the general rules
    select
        *,
        tag_start + tag_chars as gap_start,
        min(case when is_container_close then piece_index end) over pieces_after as first_close_piece,
        min(case when is_container_close then tag_start end) over pieces_after as first_close_start,
        min(case when is_container_open then tag_start end) over pieces_after as next_open_start

    from positioned
    where not is_regular
    window pieces_after as (
        partition by message_seq
        order by piece_index
        rows between 1 following and unbounded following
    )

),

searched_ends as (

    -- an opening tag whose next piece is not its closing tag with a valid JSON body (rare):
    -- a valid body holds no closing tag outside its strings, so the body can only end at the
    -- first closing tag outside the JSON strings after the opening tag, searched on the text
    select
        message_seq,
        piece_index,
        gap_start + body_length as valid_close_start

    from (
        select
            opening.message_seq,
            opening.piece_index,
            opening.gap_start,
            message_texts.message_text,
            case opening.tag
                when '<tool_call>' then {{ tracehouse.length_before_close_outside_strings(
                    'substring(message_texts.message_text, opening.gap_start)', '</tool_call>'
                ) }}
                else {{ tracehouse.length_before_close_outside_strings(
                    'substring(message_texts.message_text, opening.gap_start)', '</tool_response>'
                ) }}
            end as body_length

        from neighbours as opening
        inner join {{ ref('stg_hermes__messages') }} as message_texts
            on opening.message_seq = message_texts.message_seq
        where
            opening.is_container_open
            and not coalesce(
                opening.first_close_piece = opening.piece_index + 1 and opening.facts.is_valid_json,
                false
            )
    ) as searched
    where
        body_length > 0
        and {{ tracehouse.json_strict_valid('substring(message_text, gap_start, body_length)') }}

),

container_ends as (

    -- where each opening container tag's body ends: its next piece's closing tag when that
    -- body is valid JSON, else the first later closing tag that makes it so, else the first
    -- closing tag before the next opening one
    select
        neighbours.message_seq,
        neighbours.piece_index,
        coalesce(
            case
                when
                    neighbours.first_close_piece = neighbours.piece_index + 1
                    and neighbours.facts.is_valid_json
                    then neighbours.first_close_start
            end,
            searched_ends.valid_close_start,
            case
                when
                    neighbours.first_close_start
                    < coalesce(neighbours.next_open_start, neighbours.message_chars + 1)
                    then neighbours.first_close_start
            end
        ) as close_start

    from neighbours
    left join searched_ends
        on
            neighbours.message_seq = searched_ends.message_seq
            and neighbours.piece_index = searched_ends.piece_index
    where neighbours.is_container_open

),

spanned as (

    -- every piece with, for an opening container tag, where its container would end
    select
        neighbours.*,
        container_ends.close_start,
        case
            when neighbours.is_container_open
                then coalesce(container_ends.close_start, neighbours.next_open_start, neighbours.message_chars + 1)
        end as container_body_end,
        case
            when neighbours.is_container_open
                then coalesce(
                        container_ends.close_start + neighbours.tag_chars + 1,
                        neighbours.next_open_start,
                        neighbours.message_chars + 1
                    )
        end as container_span_end

    from neighbours
    left join container_ends
        on
            neighbours.message_seq = container_ends.message_seq
            and neighbours.piece_index = container_ends.piece_index

),

covered as (

    select
        *,
        coalesce(max(container_span_end) over pieces_before, 0) > tag_start as is_covered

    from spanned
    window pieces_before as (
        partition by message_seq
        order by piece_index
        rows between unbounded preceding and 1 preceding
    )

),

markers as (

    -- the tags that shape think blocks: think tags outside containers, and the opening tags
    -- of containers, which end the think region before them
    select
        *,
        lag(tag) over message_markers as previous_marker

    from covered
    where not is_covered and (is_container_open or tag in ('<think>', '</think>'))
    window message_markers as (partition by message_seq order by piece_index)

),

switches as (

    -- a think tag counts when it differs from the previous think tag of its region: a
    -- `<think>` inside an open block and a stray `</think>` do not; a `</think>` before any
    -- other marker of the message ends an unopened block
    select
        *,
        lead(tag) over message_switches as next_tag,
        lead(tag_start) over message_switches as next_tag_start,
        lead(tag_chars) over message_switches as next_tag_chars

    from markers
    where
        is_container_open
        or previous_marker is null
        or (previous_marker in ('<think>', '</think>') and tag != previous_marker)
        or (previous_marker not in ('<think>', '</think>') and tag = '<think>')
    window message_switches as (partition by message_seq order by piece_index)

),

spans as (

    select
        message_seq,
        message_role,
        message_chars,
        piece_index as opening_piece,
        substring(tag, 2, length(tag) - 2) as block_kind,
        tag_start as span_start,
        container_span_end as span_end,
        gap_start as body_offset,
        container_body_end - gap_start as body_length,
        true as has_opening_tag,
        close_start is not null as has_closing_tag

    from switches
    where is_container_open

    union all

    select
        message_seq,
        message_role,
        message_chars,
        piece_index as opening_piece,
        'think' as block_kind,
        tag_start as span_start,
        case
            when next_tag = '</think>' then next_tag_start + next_tag_chars
            else coalesce(next_tag_start, message_chars + 1)
        end as span_end,
        gap_start as body_offset,
        coalesce(next_tag_start, message_chars + 1) - gap_start as body_length,
        true as has_opening_tag,
        coalesce(next_tag = '</think>', false) as has_closing_tag

    from switches
    where tag = '<think>'

    union all

    select
        message_seq,
        message_role,
        message_chars,
        0 as opening_piece,
        'think' as block_kind,
        1 as span_start,
        gap_start as span_end,
        1 as body_offset,
        tag_start - 1 as body_length,
        false as has_opening_tag,
        true as has_closing_tag

    from switches
    where tag = '</think>' and previous_marker is null

),

texts as (

    -- what lies between the spans: text blocks, each starting where a piece's text starts
    select
        message_seq,
        message_role,
        coalesce(lag(span_end) over message_spans, 1) as body_offset,
        span_start - coalesce(lag(span_end) over message_spans, 1) as body_length

    from spans
    window message_spans as (partition by message_seq order by span_start)

    union all

    select
        message_seq,
        message_role,
        max(span_end) as body_offset,
        max(message_chars) + 1 - max(span_end) as body_length

    from spans
    group by message_seq, message_role

    union all

    select
        message_seq,
        message_role,
        1 as body_offset,
        message_chars as body_length

    from neighbours
    where
        piece_index = 0
        and not exists (
            select 1 from spans
            where spans.message_seq = neighbours.message_seq
        )

),

text_blocks as (

    select
        texts.message_seq,
        texts.message_role,
        case
            when texts.body_length = neighbours.gap_chars and neighbours.facts.is_blank
                then 'whitespace'
            else 'text'
        end as block_kind,
        texts.body_offset,
        texts.body_length,
        false as has_opening_tag,
        false as has_closing_tag,
        case when texts.body_length = neighbours.gap_chars then neighbours.facts end as facts

    from texts
    left join neighbours
        on
            texts.message_seq = neighbours.message_seq
            and texts.body_offset = neighbours.gap_start
    where texts.body_length > 0

),

tagged_blocks as (

    select
        spans.*,
        spans.has_opening_tag and neighbours.gap_chars = spans.body_length as is_one_piece,
        neighbours.is_first_response,
        neighbours.facts as piece_facts

    from spans
    inner join neighbours
        on
            spans.message_seq = neighbours.message_seq
            and spans.opening_piece = neighbours.piece_index

),

spanning_bodies as (

    -- the few bodies that span several pieces, cut from the message text
    select
        tagged_blocks.message_seq,
        tagged_blocks.body_offset,
        tagged_blocks.is_first_response,
        tagged_blocks.message_role,
        '<' || tagged_blocks.block_kind || '>' as opening_tag,
        substring(message_texts.message_text, tagged_blocks.body_offset, tagged_blocks.body_length) as body

    from tagged_blocks
    inner join {{ ref('stg_hermes__messages') }} as message_texts
        on tagged_blocks.message_seq = message_texts.message_seq
    where not tagged_blocks.is_one_piece

),

spanning_facts as (

    select
        message_seq,
        body_offset,
        {{ tracehouse.body_facts('body', 'opening_tag', 'json_fields', 'message_role', 'is_first_response') }} as facts

    from (
        select
            *,
            {{ tracehouse.body_json('body', 'opening_tag') }} as json_fields

        from spanning_bodies
    ) as parsed

),

irregular_blocks as (

    select
        tagged_blocks.message_seq,
        tagged_blocks.message_role,
        tagged_blocks.block_kind,
        tagged_blocks.body_offset,
        tagged_blocks.body_length,
        tagged_blocks.has_opening_tag,
        tagged_blocks.has_closing_tag,
        coalesce(spanning_facts.facts, tagged_blocks.piece_facts) as facts

    from tagged_blocks
    left join spanning_facts
        on
            tagged_blocks.message_seq = spanning_facts.message_seq
            and tagged_blocks.body_offset = spanning_facts.body_offset

    union all

    select * from text_blocks

),

blocks as (

    select * from regular_blocks

    union all

    select
        message_seq,
        message_role,
        cast(row_number() over (
            partition by message_seq
            order by body_offset
        ) - 1 as integer) as block_index,
        block_kind,
        body_offset,
        body_length,
        has_opening_tag,
        has_closing_tag,
        facts

    from irregular_blocks

),

final as (

    select
        message_keys.conversation_key,
        message_keys.message_index,
        blocks.block_index,
        conversations.load_id,
        blocks.message_role,
        blocks.block_kind,
        cast(blocks.body_offset as bigint) as body_offset,
        cast(blocks.body_length as bigint) as body_length,
        blocks.has_opening_tag,
        blocks.has_closing_tag,
        blocks.facts.think_words,
        blocks.facts.is_valid_json,
        blocks.facts.is_python_literal,
        blocks.facts.tool_name,
        blocks.facts.arguments_hash,
        blocks.facts.tool_call_id,
        blocks.facts.content_kind,
        blocks.facts.content_chars,
        blocks.facts.error_kind,
        blocks.facts.legacy_error,
        blocks.facts.mentions_iteration_limit,
        -- the build that wrote the row: the rebuild test checks each row once
        cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as parsed_by,
        -- the rules that wrote it: rows of other rules are parsed again (incremental_loads)
        cast({{ tracehouse.rules_version() }} as integer) as rules_version

    from blocks
    inner join message_keys
        on blocks.message_seq = message_keys.message_seq
    inner join conversations
        on message_keys.conversation_key = conversations.conversation_key

)

select * from final

{#
  The block parse of one message (segment_rules and block_parse in the docs), as a list
  expression evaluated per message: no row per tag segment, no window, no join.

  parse_blocks(text, role) is the message's blocks in order, a list of structs
  {kind, body, has_open, has_close}: kind is think, tool_call, tool_response or text (the
  model relabels blank text as whitespace), body the text between the block's own tags.

  The message is cut by plain string splits on tag tokens (never a lazy pattern):

  1. gpt messages are split at each `<tool_call>`, tool messages at each `<tool_response>`;
     other roles are one text block (their tags are text). Piece 1 is the text before the
     first opening tag; every later piece starts a container, whose body runs to the *last*
     closing tag in the piece (none: to the end of the piece, unclosed). What follows that
     last closing tag is outside any container.
  2. Outside containers of gpt messages, think tags are parsed per region (the text before the
     first call, and the text after each call's last closing tag): split at each `</think>`,
     the piece before a `</think>` that holds a `<think>` opens a think block at its first
     `<think>` (later ones are text of the block) which that `</think>` closes; a piece with
     no `<think>` is text, so is the `</think>` after it (a stray closing tag), except in the
     first region, where a `</think>` before any `<think>` makes the text from the start of
     the message one unopened think block. The last piece of a region either continues an
     open think block to the region's end (unclosed) or is text.
  3. Text pieces that are empty make no block; container and think blocks always exist.

  Regions with at most one `<think>` and one `</think>` (nearly all) take a short branch
  built from split_part; others the general one, a list program over the `</think>` pieces.
#}

{% macro parse_blocks(text, role) -%}
    {{ return(adapter.dispatch('parse_blocks', 'tracehouse')(text, role)) }}
{%- endmacro %}

{% macro duckdb__parse_blocks(text, role) -%}
    case {{ role }}
        when 'gpt' then list_concat(
            flatten(list_transform(
                string_split({{ text }}, '<tool_call>')[1:1],
                lambda head: {{ tracehouse.duckdb__parse_think_region('head', true) }}
            )),
            flatten(list_transform(
                string_split({{ text }}, '<tool_call>')[2:],
                lambda part: {{ tracehouse.duckdb__parse_container('part', 'tool_call', think_active=true) }}
            ))
        )
        when 'tool' then list_concat(
            {{ tracehouse.duckdb__parse_text("split_part(" ~ text ~ ", '<tool_response>', 1)") }},
            flatten(list_transform(
                string_split({{ text }}, '<tool_response>')[2:],
                lambda part: {{ tracehouse.duckdb__parse_container('part', 'tool_response', think_active=false) }}
            ))
        )
        else {{ tracehouse.duckdb__parse_text(text) }}
    end
{%- endmacro %}

{# One block struct. #}
{% macro duckdb__parse_block(kind, body, has_open, has_close) -%}
    {'kind': '{{ kind }}', 'body': {{ body }}, 'has_open': {{ has_open }}, 'has_close': {{ has_close }}}
{%- endmacro %}

{# A text region without active tags: one text block, none when empty. #}
{% macro duckdb__parse_text(region) -%}
    list_filter(
        [{{ tracehouse.duckdb__parse_block('text', region, 'false', 'false') }}],
        lambda block: struct_extract(block, 'body') != ''
    )
{%- endmacro %}

{#
  A piece that starts with a container's opening tag (already cut off): the container block,
  then the region after its last closing tag.
#}
{% macro duckdb__parse_container(part, kind, think_active) -%}
    {%- set closing = "'</" ~ kind ~ ">'" -%}
    {%- set has_closing = 'contains(' ~ part ~ ', ' ~ closing ~ ')' -%}
    {%- set pieces = 'string_split(' ~ part ~ ', ' ~ closing ~ ')' -%}
    list_concat(
        [{{ tracehouse.duckdb__parse_block(
            kind,
            'case when not ' ~ has_closing ~ ' then ' ~ part
                ~ ' when len(' ~ pieces ~ ') = 2 then split_part(' ~ part ~ ', ' ~ closing ~ ', 1)'
                ~ ' else array_to_string(' ~ pieces ~ '[1:-2], ' ~ closing ~ ') end',
            'true',
            has_closing,
        ) }}],
        case when {{ has_closing }} then flatten(list_transform(
            {{ pieces }}[-1:],
            {%- if think_active %}
            lambda tail: {{ tracehouse.duckdb__parse_think_region('tail', false) }}
            {%- else %}
            lambda tail: {{ tracehouse.duckdb__parse_text('tail') }}
            {%- endif %}
        )) else [] end
    )
{%- endmacro %}

{# The blocks of a gpt region outside containers; is_first: the region starts the message. #}
{% macro duckdb__parse_think_region(region, is_first) -%}
    {%- set r = region -%}
    {%- set has_open = "contains(" ~ r ~ ", '<think>')" -%}
    {%- set has_close = "contains(" ~ r ~ ", '</think>')" -%}
    {%- set before_open = "split_part(" ~ r ~ ", '<think>', 1)" -%}
    {%- set after_open = "split_part(" ~ r ~ ", '<think>', 2)" -%}
    {%- set before_close = "split_part(" ~ r ~ ", '</think>', 1)" -%}
    {%- set after_close = "split_part(" ~ r ~ ", '</think>', 2)" -%}
    list_filter(
        case
            when not {{ has_open }} and not {{ has_close }}
                then [{{ tracehouse.duckdb__parse_block('text', r, 'false', 'false') }}]
            when len(string_split({{ r }}, '<think>')) > 2 or len(string_split({{ r }}, '</think>')) > 2
                then {{ tracehouse.duckdb__parse_think_region_general(r, is_first) }}
            -- one <think>, no </think>: unclosed
            when not {{ has_close }} then [
                {{ tracehouse.duckdb__parse_block('text', before_open, 'false', 'false') }},
                {{ tracehouse.duckdb__parse_block('think', after_open, 'true', 'false') }}
            ]
            -- one </think>, no <think>
            when not {{ has_open }} then
            {%- if is_first %} [
                {{ tracehouse.duckdb__parse_block('think', before_close, 'false', 'true') }},
                {{ tracehouse.duckdb__parse_block('text', after_close, 'false', 'false') }}
            ]
            {%- else %} [{{ tracehouse.duckdb__parse_block('text', r, 'false', 'false') }}]
            {%- endif %}
            -- <think> ... </think>
            when contains({{ before_close }}, '<think>') then [
                {{ tracehouse.duckdb__parse_block('text', before_open, 'false', 'false') }},
                {{ tracehouse.duckdb__parse_block(
                    'think', "split_part(" ~ after_open ~ ", '</think>', 1)", 'true', 'true'
                ) }},
                {{ tracehouse.duckdb__parse_block('text', after_close, 'false', 'false') }}
            ]
            -- </think> ... <think> ...
            else
            {%- if is_first %} [
                {{ tracehouse.duckdb__parse_block('think', before_close, 'false', 'true') }},
                {{ tracehouse.duckdb__parse_block(
                    'text', "split_part(" ~ after_close ~ ", '<think>', 1)", 'false', 'false'
                ) }},
                {{ tracehouse.duckdb__parse_block('think', after_open, 'true', 'false') }}
            ]
            {%- else %} [
                {{ tracehouse.duckdb__parse_block('text', before_open, 'false', 'false') }},
                {{ tracehouse.duckdb__parse_block('think', after_open, 'true', 'false') }}
            ]
            {%- endif %}
        end,
        lambda block: struct_extract(block, 'kind') != 'text' or struct_extract(block, 'body') != ''
    )
{%- endmacro %}

{#
  Any gpt region. pieces: the region split at each `</think>` (piece j + 1 is followed by the
  j-th `</think>`, the last piece by the region's end); opens: the zero-based numbers of the
  pieces that hold a `<think>`. Each of those is the text before its first `<think>` (joined
  with the text pieces and stray `</think>`s since the previous block) and a think block,
  closed unless it is the last piece; each is paired with the previous one (open_pair). Values
  are bound by mapping over one-element lists; lambdas take one parameter (sqlfluff parses no
  other form of DuckDB's Python-style lambda).
#}
{% macro duckdb__parse_think_region_general(region, is_first) -%}
    list_transform([string_split({{ region }}, '</think>')], lambda pieces:
        list_transform([list_filter(range(len(pieces)), lambda j: contains(pieces[j + 1], '<think>'))], lambda opens:
            list_transform([{{ 'true' if is_first else 'false' }} and len(pieces) > 1 and not contains(pieces[1], '<think>')], lambda unopened:
                list_concat(
                    case
                        when unopened then [{{ tracehouse.duckdb__parse_block('think', 'pieces[1]', 'false', 'true') }}]
                        else []
                    end,
                    flatten(list_transform(
                        list_zip(opens, list_concat([case when unopened then 0 else -1 end], opens)[1:len(opens)]),
                        lambda open_pair: list_transform([string_split(pieces[open_pair[1] + 1], '<think>')], lambda halves: [
                            {{ tracehouse.duckdb__parse_block(
                                'text',
                                "array_to_string(list_concat(pieces[open_pair[2] + 2:open_pair[1]], [halves[1]]), '</think>')",
                                'false', 'false',
                            ) }},
                            {{ tracehouse.duckdb__parse_block(
                                'think', "array_to_string(halves[2:], '<think>')", 'true', 'open_pair[1] < len(pieces) - 1'
                            ) }}
                        ])[1]
                    )),
                    list_transform([coalesce(opens[-1], case when unopened then 0 else -1 end)], lambda last_open:
                        case
                            when last_open < len(pieces) - 1
                                then [{{ tracehouse.duckdb__parse_block(
                                    'text', "array_to_string(pieces[last_open + 2:], '</think>')", 'false', 'false'
                                ) }}]
                            else []
                        end
                    )[1]
                )
            )[1]
        )[1]
    )[1]
{%- endmacro %}

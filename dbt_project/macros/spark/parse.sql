{#
  Spark version of macros/parse.sql: the same block parse, written with Spark's
  higher-order functions (transform, filter, zip_with, slice) instead of DuckDB's list
  functions and Python-style lambdas. Differences that matter:
  - split(text, delimiter, -1) takes a regular expression: the tags contain no regex
    metacharacter, and -1 keeps trailing empty pieces (DuckDB's string_split does);
  - arrays are sliced with slice(array, start, length) and read with try_element_at
    (1-based, null out of range, as DuckDB's `[]`);
  - a block is named_struct(...); an empty list must be typed (spark_empty_blocks).
#}

{% macro spark__parse_blocks(text, role) -%}
    case {{ role }}
        when 'gpt' then concat(
            flatten(transform(
                slice(split({{ text }}, '<tool_call>', -1), 1, 1),
                head -> {{ tracehouse.spark__parse_think_region('head', true) }}
            )),
            flatten(transform(
                slice(split({{ text }}, '<tool_call>', -1), 2, size(split({{ text }}, '<tool_call>', -1))),
                part -> {{ tracehouse.spark__parse_container('part', 'tool_call', think_active=true) }}
            ))
        )
        when 'tool' then concat(
            {{ tracehouse.spark__parse_text("split_part(" ~ text ~ ", '<tool_response>', 1)") }},
            flatten(transform(
                slice(split({{ text }}, '<tool_response>', -1), 2, size(split({{ text }}, '<tool_response>', -1))),
                part -> {{ tracehouse.spark__parse_container('part', 'tool_response', think_active=false) }}
            ))
        )
        else {{ tracehouse.spark__parse_text(text) }}
    end
{%- endmacro %}

{% macro spark__parse_block(kind, body, has_open, has_close) -%}
    named_struct('kind', '{{ kind }}', 'body', {{ body }}, 'has_open', {{ has_open }}, 'has_close', {{ has_close }})
{%- endmacro %}

{% macro spark_empty_blocks() -%}
    cast(array() as array<struct<kind: string, body: string, has_open: boolean, has_close: boolean>>)
{%- endmacro %}

{% macro spark__parse_text(region) -%}
    filter(
        array({{ tracehouse.spark__parse_block('text', region, 'false', 'false') }}),
        block -> block.body != ''
    )
{%- endmacro %}

{% macro spark__parse_container(part, kind, think_active) -%}
    {%- set closing = "'</" ~ kind ~ ">'" -%}
    {%- set has_closing = 'contains(' ~ part ~ ', ' ~ closing ~ ')' -%}
    {%- set pieces = 'split(' ~ part ~ ', ' ~ closing ~ ', -1)' -%}
    concat(
        array({{ tracehouse.spark__parse_block(
            kind,
            'case when not ' ~ has_closing ~ ' then ' ~ part
                ~ ' when size(' ~ pieces ~ ') = 2 then split_part(' ~ part ~ ', ' ~ closing ~ ', 1)'
                ~ ' else array_join(slice(' ~ pieces ~ ', 1, size(' ~ pieces ~ ') - 1), ' ~ closing ~ ') end',
            'true',
            has_closing,
        ) }}),
        case when {{ has_closing }} then flatten(transform(
            slice({{ pieces }}, -1, 1),
            {%- if think_active %}
            tail -> {{ tracehouse.spark__parse_think_region('tail', false) }}
            {%- else %}
            tail -> {{ tracehouse.spark__parse_text('tail') }}
            {%- endif %}
        )) else {{ tracehouse.spark_empty_blocks() }} end
    )
{%- endmacro %}

{% macro spark__parse_think_region(region, is_first) -%}
    {%- set r = region -%}
    {%- set has_open = "contains(" ~ r ~ ", '<think>')" -%}
    {%- set has_close = "contains(" ~ r ~ ", '</think>')" -%}
    {%- set before_open = "split_part(" ~ r ~ ", '<think>', 1)" -%}
    {%- set after_open = "split_part(" ~ r ~ ", '<think>', 2)" -%}
    {%- set before_close = "split_part(" ~ r ~ ", '</think>', 1)" -%}
    {%- set after_close = "split_part(" ~ r ~ ", '</think>', 2)" -%}
    filter(
        case
            when not {{ has_open }} and not {{ has_close }}
                then array({{ tracehouse.spark__parse_block('text', r, 'false', 'false') }})
            when size(split({{ r }}, '<think>', -1)) > 2 or size(split({{ r }}, '</think>', -1)) > 2
                then {{ tracehouse.spark__parse_think_region_general(r, is_first) }}
            when not {{ has_close }} then array(
                {{ tracehouse.spark__parse_block('text', before_open, 'false', 'false') }},
                {{ tracehouse.spark__parse_block('think', after_open, 'true', 'false') }}
            )
            when not {{ has_open }} then
            {%- if is_first %} array(
                {{ tracehouse.spark__parse_block('think', before_close, 'false', 'true') }},
                {{ tracehouse.spark__parse_block('text', after_close, 'false', 'false') }}
            )
            {%- else %} array({{ tracehouse.spark__parse_block('text', r, 'false', 'false') }})
            {%- endif %}
            when contains({{ before_close }}, '<think>') then array(
                {{ tracehouse.spark__parse_block('text', before_open, 'false', 'false') }},
                {{ tracehouse.spark__parse_block(
                    'think', "split_part(" ~ after_open ~ ", '</think>', 1)", 'true', 'true'
                ) }},
                {{ tracehouse.spark__parse_block('text', after_close, 'false', 'false') }}
            )
            else
            {%- if is_first %} array(
                {{ tracehouse.spark__parse_block('think', before_close, 'false', 'true') }},
                {{ tracehouse.spark__parse_block(
                    'text', "split_part(" ~ after_close ~ ", '<think>', 1)", 'false', 'false'
                ) }},
                {{ tracehouse.spark__parse_block('think', after_open, 'true', 'false') }}
            )
            {%- else %} array(
                {{ tracehouse.spark__parse_block('text', before_open, 'false', 'false') }},
                {{ tracehouse.spark__parse_block('think', after_open, 'true', 'false') }}
            )
            {%- endif %}
        end,
        block -> block.kind != 'text' or block.body != ''
    )
{%- endmacro %}

{#
  The general region (see macros/parse.sql): pieces are the region split at each `</think>`;
  opens the zero-based numbers of the pieces holding a `<think>`; each open is zipped with
  the previous one (or -1, or 0 after an unopened first piece). Values are bound by mapping
  over one-element arrays, as in the DuckDB version; lambda names are unique per level.
#}
{% macro spark__parse_think_region_general(region, is_first) -%}
    element_at(transform(array(split({{ region }}, '</think>', -1)), pieces ->
        element_at(transform(array(filter(sequence(0, size(pieces) - 1), j -> contains(pieces[j], '<think>'))), opens ->
            element_at(transform(array({{ 'true' if is_first else 'false' }} and size(pieces) > 1 and not contains(pieces[0], '<think>')), unopened ->
                concat(
                    case
                        when unopened then array({{ tracehouse.spark__parse_block('think', 'pieces[0]', 'false', 'true') }})
                        else {{ tracehouse.spark_empty_blocks() }}
                    end,
                    flatten(zip_with(
                        opens,
                        slice(concat(array(case when unopened then 0 else -1 end), opens), 1, size(opens)),
                        (this_open, previous_open) -> element_at(transform(array(split(pieces[this_open], '<think>', -1)), halves -> array(
                            {{ tracehouse.spark__parse_block(
                                'text',
                                "array_join(concat(slice(pieces, previous_open + 2, this_open - previous_open - 1), array(halves[0])), '</think>')",
                                'false', 'false',
                            ) }},
                            {{ tracehouse.spark__parse_block(
                                'think', "array_join(slice(halves, 2, size(halves)), '<think>')", 'true', 'this_open < size(pieces) - 1'
                            ) }}
                        )), 1)
                    )),
                    element_at(transform(array(coalesce(try_element_at(opens, -1), case when unopened then 0 else -1 end)), last_open ->
                        case
                            when last_open < size(pieces) - 1
                                then array({{ tracehouse.spark__parse_block(
                                    'text', "array_join(slice(pieces, last_open + 2, size(pieces)), '</think>')", 'false', 'false'
                                ) }})
                            else {{ tracehouse.spark_empty_blocks() }}
                        end
                    ), 1)
                )
            ), 1)
        ), 1)
    ), 1)
{%- endmacro %}

{#
  One row per tool declared to the model of a conversation, from the first of:
  1. its `tools` value (`declared_in` = 'tools_column'), a JSON list in any shape;
  2. when it has no `tools` value (null), the list in its system prompt's `<tools>` block
     (`declared_in` = 'system_prompt'), as Hermes prompts carry one.
  A value that is not a JSON list gives no rows; an element gives a row whatever its shape,
  its name null when it has none.

  Element shapes: OpenAI's `{type, function: {name, description, parameters}}`; else the flat
  shapes, Anthropic's `{name, description, input_schema}` and OpenAI's Responses
  `{type, name, description, parameters}` (macro tool_declaration_field). Only the name and
  type are kept, and for a prompt's list where its block lies in the prompt: the view
  tool_declaration_texts cuts a declaration's description and parameters when read.

  The system prompt is message 0 with role `system`, read in its Hermes form (staging renders
  an OpenAI or Anthropic prompt's text as it is). The `<tools>` block is the text from a
  `<tools>` tag to the first `</tools>` after it, stripped; the first block that holds a list
  (macro tools_block_list) counts (Hermes prompts first mention "<tools> </tools> XML tags").

  Cost: the few distinct `tools` values (kimi: 6 for 7,646 conversations) are parsed once and
  joined back. Only the system messages of conversations without a `tools` value are read,
  joined on the raw key (same_conversation) so that the filters reach the scan of
  raw.messages; no message text is stored.
#}

{%- set declaration_paths = tracehouse.tool_declaration_paths(['type', 'name']) %}

with

conversations as (

    select * from {{ ref('stg_hermes__conversations') }}
    {{ tracehouse.where_load_is_new() }}

),

messages as (

    select * from {{ ref('stg_hermes__messages') }}
    {{ tracehouse.where_slice_changed() }}

),

column_lists as (

    select
        conversation_key,
        load_id,
        'tools_column' as declared_in,
        tools_json as tools_list,
        cast(null as bigint) as tools_block_offset,
        cast(null as bigint) as tools_block_length

    from conversations
    where tools_json is not null

),

-- message_text is the Hermes form of every shape (stg_hermes__messages), so an OpenAI
-- `content` string or the text blocks of an Anthropic system prompt read as Hermes text
system_prompts as (

    select
        conversations.conversation_key,
        conversations.load_id,
        messages.message_text as prompt_text

    from conversations
    inner join messages
        on
            {{ tracehouse.same_conversation('conversations', 'messages') }}
            and messages.message_index = 0
    where
        conversations.tools_json is null
        and messages.message_role = 'system'

),

-- the text after each `<tools>` tag (piece 0, before the first tag, is in no block)
tools_pieces as (

    select
        conversation_key,
        load_id,
        {{ tracehouse.explode_with_position(
            tracehouse.regex_split('prompt_text', '<tools>'), 'tools_piece', 'piece_index'
        ) }}

    from system_prompts

),

-- where each piece starts in the prompt (after the pieces and the `<tools>` tags, 7
-- characters, before it), and where its first `</tools>` is (0: none)
placed_pieces as (

    select
        *,
        1 + coalesce(sum(length(tools_piece) + 7) over (
            partition by conversation_key
            order by piece_index
            rows between unbounded preceding and 1 preceding
        ), 0) as piece_start,
        position('</tools>' in tools_piece) as close_position

    from tools_pieces

),

-- a block's body: the piece's text up to its first `</tools>`
tools_blocks as (

    select
        conversation_key,
        load_id,
        piece_index,
        cast(piece_start as bigint) as tools_block_offset,
        cast(close_position - 1 as bigint) as tools_block_length,
        {{ tracehouse.strip_whitespace('substring(tools_piece, 1, close_position - 1)') }} as block_body

    from placed_pieces
    where piece_index > 0 and close_position > 0

),

block_lists as (

    select
        conversation_key,
        load_id,
        piece_index,
        tools_block_offset,
        tools_block_length,
        {{ tracehouse.tools_block_list('block_body') }} as tools_list

    from tools_blocks

),

ranked_block_lists as (

    select
        conversation_key,
        load_id,
        tools_list,
        tools_block_offset,
        tools_block_length,
        row_number() over (partition by conversation_key order by piece_index) as list_rank

    from block_lists
    where tools_list is not null

),

prompt_lists as (

    select
        conversation_key,
        load_id,
        'system_prompt' as declared_in,
        tools_list,
        tools_block_offset,
        tools_block_length

    from ranked_block_lists
    where list_rank = 1

),

declared_lists as (

    select * from column_lists
    union all
    select * from prompt_lists

),

distinct_lists as (

    select distinct tools_list

    from declared_lists

),

parsed_lists as (

    select
        tools_list,
        case
            when {{ tracehouse.json_strict_valid('tools_list') }}
                and {{ tracehouse.regex_matches('tools_list', '^' ~ tracehouse.python_whitespace_class() ~ '*\\[') }}
                then {{ tracehouse.json_array_elements('tools_list') }}
        end as tool_elements

    from distinct_lists

),

exploded as (

    select
        tools_list,
        {{ tracehouse.explode_with_position('tool_elements', 'tool_element', 'tool_index') }}

    from parsed_lists

),

extracted as (

    select
        tools_list,
        tool_index,
        {{ tracehouse.json_extract_paths('tool_element', declaration_paths) }} as tool_fields

    from exploded

),

shaped as (

    select
        tools_list,
        tool_index,
        {{ tracehouse.tool_declaration_field('tool_fields', declaration_paths, 'type') }} as type_json,
        {{ tracehouse.tool_declaration_field('tool_fields', declaration_paths, 'name') }} as name_json

    from extracted

),

joined as (

    select
        declared_lists.conversation_key,
        declared_lists.load_id,
        declared_lists.declared_in,
        shaped.tool_index,
        declared_lists.tools_block_offset,
        declared_lists.tools_block_length,
        shaped.type_json,
        shaped.name_json

    from declared_lists
    inner join shaped
        on declared_lists.tools_list = shaped.tools_list

),

renamed as (

    select
        ---------- keys
        conversation_key,
        tool_index,

        ---------- attributes
        {{ tracehouse.json_string_or_null('name_json') }} as tool_name,
        {{ tracehouse.json_string_or_null('type_json') }} as tool_type,
        declared_in,
        tools_block_offset,
        tools_block_length,
        load_id,
        cast({{ tracehouse.rules_version() }} as integer) as rules_version

    from joined

)

select * from renamed

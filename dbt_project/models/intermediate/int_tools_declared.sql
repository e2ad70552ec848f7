{#
  One row per tool declared to the model of a conversation, from the first of:
  1. its `tools` value (`declared_in` = 'tools_column'), a JSON list in any shape;
  2. when it has no `tools` value (null), the list in its system prompt's `<tools>` block
     (`declared_in` = 'system_prompt'), as Hermes prompts carry one.
  A value that is not a JSON list gives no rows; an element gives a row whatever its shape,
  its name null when it has none.

  Element shapes: OpenAI's `{type, function: {name, description, parameters}}`; else the flat
  shapes, Anthropic's `{name, description, input_schema}` and OpenAI's Responses
  `{type, name, description, parameters}`.

  The system prompt is message 0 with role `system`, read in its Hermes form (staging renders
  an OpenAI or Anthropic prompt's text as it is). The `<tools>` block is the text from a
  `<tools>` tag to the first `</tools>` after it, stripped; the first block that holds a list
  (macro tools_block_list) counts (Hermes prompts first mention "<tools> </tools> XML tags").

  Cost: the few distinct `tools` values (kimi: 6 for 7,646 conversations) are parsed once and
  joined back. Only the system messages of conversations without a `tools` value are read,
  joined on the raw key (same_conversation) so that the filters reach the scan of
  raw.messages; no message text is stored.
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

column_lists as (

    select
        conversation_key,
        load_id,
        'tools_column' as declared_in,
        tools_json as tools_list

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

tools_blocks as (

    select
        conversation_key,
        load_id,
        piece_index,
        {{ tracehouse.strip_whitespace(
            tracehouse.list_element(tracehouse.regex_split('tools_piece', '</tools>'), 0)
        ) }} as block_body

    from tools_pieces
    where
        piece_index > 0
        and {{ tracehouse.text_contains('tools_piece', "'</tools>'") }}

),

block_lists as (

    select
        conversation_key,
        load_id,
        piece_index,
        {{ tracehouse.tools_block_list('block_body') }} as tools_list

    from tools_blocks

),

ranked_block_lists as (

    select
        conversation_key,
        load_id,
        tools_list,
        row_number() over (partition by conversation_key order by piece_index) as list_rank

    from block_lists
    where tools_list is not null

),

prompt_lists as (

    select
        conversation_key,
        load_id,
        'system_prompt' as declared_in,
        tools_list

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
        {{ tracehouse.json_extract_paths(
            'tool_element',
            [
                '$.type',
                '$.function',
                '$.function.name',
                '$.function.description',
                '$.function.parameters',
                '$.name',
                '$.description',
                '$.input_schema',
                '$.parameters',
            ],
        ) }} as tool_fields

    from exploded

),

named as (

    select
        tools_list,
        tool_index,
        {{ tracehouse.list_element('tool_fields', 0) }} as type_json,
        {{ tracehouse.list_element('tool_fields', 1) }} as function_json,
        {{ tracehouse.list_element('tool_fields', 2) }} as function_name_json,
        {{ tracehouse.list_element('tool_fields', 3) }} as function_description_json,
        {{ tracehouse.list_element('tool_fields', 4) }} as function_parameters_json,
        {{ tracehouse.list_element('tool_fields', 5) }} as flat_name_json,
        {{ tracehouse.list_element('tool_fields', 6) }} as flat_description_json,
        {{ tracehouse.list_element('tool_fields', 7) }} as input_schema_json,
        {{ tracehouse.list_element('tool_fields', 8) }} as flat_parameters_json

    from extracted

),

-- OpenAI's shape when `function` is an object, else a flat one
shaped as (

    select
        tools_list,
        tool_index,
        type_json,
        case
            when {{ tracehouse.json_kind('function_json') }} = 'object' then function_name_json
            else flat_name_json
        end as name_json,
        case
            when {{ tracehouse.json_kind('function_json') }} = 'object' then function_description_json
            else flat_description_json
        end as description_json,
        case
            when {{ tracehouse.json_kind('function_json') }} = 'object' then function_parameters_json
            else coalesce(input_schema_json, flat_parameters_json)
        end as parameters_json

    from named

),

joined as (

    select
        declared_lists.conversation_key,
        declared_lists.load_id,
        declared_lists.declared_in,
        shaped.tool_index,
        shaped.type_json,
        shaped.name_json,
        shaped.description_json,
        shaped.parameters_json

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
        {{ tracehouse.json_string_or_null('description_json') }} as tool_description,
        parameters_json as tool_parameters,
        declared_in,
        load_id,
        cast({{ tracehouse.rules_version() }} as integer) as rules_version

    from joined

)

select * from renamed

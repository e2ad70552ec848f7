{#
  One row per element of a conversation's `tools` JSON list (the tools declared to the model).
  A `tools` value that is not a JSON list gives no rows; an element without a string
  `function.name` gives a row with a null tool_name.

  Rows share few distinct `tools` values (kimi: 6 for 7,646 conversations), so each distinct
  value is parsed once and the declarations are joined back to the conversations holding it.
#}

with

conversations as (

    select * from {{ ref('stg_hermes__conversations') }}

),

distinct_tools as (

    select distinct tools_json

    from conversations
    where tools_json is not null

),

declared as (

    select
        tools_json,
        case
            when {{ tracehouse.json_strict_valid('tools_json') }}
                and {{ tracehouse.regex_matches('tools_json', '^' ~ tracehouse.python_whitespace_class() ~ '*\\[') }}
                then {{ tracehouse.json_array_elements('tools_json') }}
        end as tool_elements

    from distinct_tools

),

exploded as (

    select
        tools_json,
        {{ tracehouse.explode_with_position('tool_elements', 'tool_element', 'tool_index') }}

    from declared

),

extracted as (

    select
        tools_json,
        tool_index,
        {{ tracehouse.json_extract_paths(
            'tool_element',
            ['$.type', '$.function.name', '$.function.description', '$.function.parameters'],
        ) }} as tool_fields

    from exploded

),

joined as (

    select
        conversations.conversation_key,
        extracted.tool_index,
        extracted.tool_fields

    from conversations
    inner join extracted
        on conversations.tools_json = extracted.tools_json

),

renamed as (

    select
        ---------- keys
        conversation_key,
        tool_index,

        ---------- attributes
        case
            when {{ tracehouse.json_kind(tracehouse.list_element('tool_fields', 1)) }} = 'string'
                then {{ tracehouse.json_text(tracehouse.list_element('tool_fields', 1)) }}
        end as tool_name,
        case
            when {{ tracehouse.json_kind(tracehouse.list_element('tool_fields', 0)) }} = 'string'
                then {{ tracehouse.json_text(tracehouse.list_element('tool_fields', 0)) }}
        end as tool_type,
        case
            when {{ tracehouse.json_kind(tracehouse.list_element('tool_fields', 2)) }} = 'string'
                then {{ tracehouse.json_text(tracehouse.list_element('tool_fields', 2)) }}
        end as tool_description,
        {{ tracehouse.list_element('tool_fields', 3) }} as tool_parameters

    from joined

)

select * from renamed

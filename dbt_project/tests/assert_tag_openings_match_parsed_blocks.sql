-- Reconciliation, counted without the parse: the tool calls of each assistant message equal
-- its `<tool_call>` openings, and the responses of each tool message equal its
-- `<tool_response>` openings (every block is parsed, not only the first). Openings are
-- counted by plain string replacement (byte lengths: the tags are ASCII). Returns the
-- messages where they differ. Tested by load: only the loads this test has not passed on yet
-- are read.

with

conversations as (

    -- the slices of the loads this test has not passed on yet (macros/tested_loads.sql):
    -- messages are filtered by slice, a raw column (macros/incremental.sql), and the raw
    -- layer holds one load per slice
    select
        source,
        config,
        split
    from {{ ref('stg_hermes__conversations') }}
    where {{ tracehouse.where_load_untested() }}

),

messages as (

    select * from {{ ref('stg_hermes__messages') }}
    where {{ tracehouse.slice_in_conversations() }}

),

tool_calls as (

    select * from {{ ref('fct_tool_calls') }}
    where {{ tracehouse.where_load_untested() }}

),

tool_responses as (

    select * from {{ ref('fct_tool_responses') }}
    where {{ tracehouse.where_load_untested() }}

),

tagged as (

    select
        conversation_key,
        message_index,
        message_role,
        message_text,
        case message_role when 'gpt' then '<tool_call>' else '<tool_response>' end as opening_tag

    from messages
    where message_role in ('gpt', 'tool')

),

counted as (

    select
        conversation_key,
        message_index,
        message_role,
        (
            {{ tracehouse.byte_length('message_text') }}
            - {{ tracehouse.byte_length("replace(message_text, opening_tag, '')") }}
        ) / {{ tracehouse.byte_length('opening_tag') }} as tag_openings

    from tagged

),

parsed as (

    select
        conversation_key,
        message_index,
        count(*) as parsed_blocks

    from tool_calls
    group by conversation_key, message_index

    union all

    select
        conversation_key,
        message_index,
        count(*) as parsed_blocks

    from tool_responses
    group by conversation_key, message_index

)

select
    coalesce(counted.conversation_key, parsed.conversation_key) as conversation_key,
    coalesce(counted.message_index, parsed.message_index) as message_index,
    counted.message_role,
    counted.tag_openings,
    parsed.parsed_blocks

from counted
full outer join parsed
    on
        counted.conversation_key = parsed.conversation_key
        and counted.message_index = parsed.message_index
where coalesce(counted.tag_openings, 0) != coalesce(parsed.parsed_blocks, 0)

-- Reconciliation: every `<tool_response>` opening of a tool message is one row of
-- fct_tool_responses (every block is parsed, not only the first). Counted by plain string
-- replacement. Returns the messages where they differ.

with

messages as (

    select * from {{ ref('stg_hermes__messages') }}

),

tool_responses as (

    select * from {{ ref('fct_tool_responses') }}

),

openings as (

    select
        conversation_key,
        message_index,
        (length(message_text) - length(replace(message_text, '<tool_response>', '')))
        / length('<tool_response>') as tool_response_openings

    from messages
    where message_role = 'tool'

),

parsed as (

    select
        conversation_key,
        message_index,
        count(*) as tool_responses

    from tool_responses
    group by conversation_key, message_index

)

select
    coalesce(openings.conversation_key, parsed.conversation_key) as conversation_key,
    coalesce(openings.message_index, parsed.message_index) as message_index,
    openings.tool_response_openings,
    parsed.tool_responses

from openings
full outer join parsed
    on
        openings.conversation_key = parsed.conversation_key
        and openings.message_index = parsed.message_index
where coalesce(openings.tool_response_openings, 0) != coalesce(parsed.tool_responses, 0)

-- Reconciliation: the number of tool calls of each assistant message equals the number of
-- `<tool_call>` openings in its text, counted here by plain string replacement (no regex,
-- no parse). Returns the messages where they differ.

with

messages as (

    select * from {{ ref('stg_hermes__messages') }}

),

tool_calls as (

    select * from {{ ref('fct_tool_calls') }}

),

openings as (

    select
        conversation_key,
        message_index,
        (length(message_text) - length(replace(message_text, '<tool_call>', '')))
        / length('<tool_call>') as tool_call_openings

    from messages
    where message_role = 'gpt'

),

parsed as (

    select
        conversation_key,
        message_index,
        count(*) as tool_calls

    from tool_calls
    group by conversation_key, message_index

)

select
    coalesce(openings.conversation_key, parsed.conversation_key) as conversation_key,
    coalesce(openings.message_index, parsed.message_index) as message_index,
    openings.tool_call_openings,
    parsed.tool_calls

from openings
full outer join parsed
    on
        openings.conversation_key = parsed.conversation_key
        and openings.message_index = parsed.message_index
where coalesce(openings.tool_call_openings, 0) != coalesce(parsed.tool_calls, 0)

-- After a failed tool call, how many assistant turns pass before a call of the same tool
-- succeeds? The conversations that take longest to recover (or never do) come first.

with

tool_calls as (

    select * from {{ ref('fct_tool_calls') }}

),

conversations as (

    select * from {{ ref('fct_conversations') }}

),

failures as (

    select
        conversation_key,
        message_index,
        call_index,
        tool_name,
        error_kind

    from tool_calls
    where status = 'error' and tool_name is not null

),

recoveries as (

    select
        failures.conversation_key,
        failures.message_index,
        failures.call_index,
        failures.tool_name,
        failures.error_kind,
        min(later.message_index) as recovered_at_message_index

    from failures
    left join tool_calls as later
        on
            failures.conversation_key = later.conversation_key
            and failures.tool_name = later.tool_name
            and later.message_index > failures.message_index
            and later.status = 'ok'
    group by 1, 2, 3, 4, 5

),

per_conversation as (

    select
        conversation_key,
        count(*) as failed_calls,
        sum(case when recovered_at_message_index is null then 1 else 0 end) as never_recovered,
        -- assistant turns alternate with tool messages, so two messages per turn
        max((recovered_at_message_index - message_index) / 2) as most_turns_to_recover

    from recoveries
    group by 1

),

final as (

    select
        conversations.conversation_id,
        conversations.config,
        conversations.category,
        conversations.outcome,
        per_conversation.failed_calls,
        per_conversation.never_recovered,
        per_conversation.most_turns_to_recover

    from per_conversation
    inner join conversations
        on per_conversation.conversation_key = conversations.conversation_key
    order by
        per_conversation.never_recovered desc,
        per_conversation.most_turns_to_recover desc nulls last
    limit 50

)

select * from final

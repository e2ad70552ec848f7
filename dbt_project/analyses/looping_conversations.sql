-- Conversations that loop: the same call (tool and identical arguments) issued again right
-- after itself, most repeats first, with the outcome the loop led to.

with

repeated_calls as (

    select * from {{ ref('repeated_calls') }}

),

conversations as (

    select * from {{ ref('fct_conversations') }}

),

loops as (

    select
        conversation_key,
        sum(consecutive_repeats) as consecutive_repeats,
        max(occurrences) as most_occurrences,
        arg_max(tool_name, occurrences) as most_repeated_tool,
        sum(failed_occurrences) as failed_repeats

    from repeated_calls
    group by 1
    having sum(consecutive_repeats) > 0

),

final as (

    select
        conversations.conversation_id,
        conversations.config,
        conversations.category,
        conversations.outcome,
        conversations.tool_calls,
        loops.most_repeated_tool,
        loops.most_occurrences,
        loops.consecutive_repeats,
        loops.failed_repeats

    from loops
    inner join conversations
        on loops.conversation_key = conversations.conversation_key
    order by loops.consecutive_repeats desc, loops.most_occurrences desc
    limit 50

)

select * from final

{#
  What happens at each step of a trajectory, for a heatmap of step kind by position.
  Each conversation is read as a sequence of steps: an assistant turn gives `think` (when it
  has think words), then `call:<tool>` per tool call in order (`call:(unnamed)` for a call
  without a usable name), or `answer` when it calls no tool; a tool message gives
  `response_ok` or `response_failed` per response block. System and human messages give no
  step. step_position is 1-based; counts per config, position and step kind.
#}

with

conversations as (

    select * from {{ ref('fct_conversations') }}

),

assistant_turns as (

    select * from {{ ref('fct_assistant_turns') }}

),

tool_calls as (

    select * from {{ ref('int_tool_calls_paired') }}

),

tool_responses as (

    select * from {{ ref('fct_tool_responses') }}

),

steps as (

    select
        conversation_key,
        config,
        message_index,
        0 as step_order,
        'think' as step_kind

    from assistant_turns
    where think_words > 0

    union all

    select
        conversation_key,
        config,
        message_index,
        1 as step_order,
        'answer' as step_kind

    from assistant_turns
    where tool_calls = 0

    union all

    select
        tool_calls.conversation_key,
        conversations.config,
        tool_calls.message_index,
        1 + tool_calls.call_index as step_order,
        'call:' || coalesce(tool_calls.tool_name, '(unnamed)') as step_kind

    from tool_calls
    inner join conversations
        on tool_calls.conversation_key = conversations.conversation_key

    union all

    select
        conversation_key,
        config,
        message_index,
        response_index as step_order,
        case when status = 'error' then 'response_failed' else 'response_ok' end as step_kind

    from tool_responses

),

positioned as (

    select
        config,
        step_kind,
        row_number() over (
            partition by conversation_key
            order by message_index, step_order
        ) as step_position

    from steps

),

aggregated as (

    select
        config,
        step_position,
        step_kind,
        count(*) as steps

    from positioned
    group by config, step_position, step_kind

),

final as (

    select
        cast(config as {{ dbt.type_string() }}) as config,
        cast(step_position as integer) as step_position,
        cast(step_kind as {{ dbt.type_string() }}) as step_kind,
        cast(steps as bigint) as steps,
        cast(
            steps * 1.0 / sum(steps) over (partition by config, step_position) as double
        ) as share_at_position

    from aggregated

)

select * from final

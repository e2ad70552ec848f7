{#
  Which tool follows which: counts of consecutive tool calls within a conversation, in call
  order (message, then position in the turn), for a heatmap. Calls without a usable name are
  '(unnamed)'.
#}

with

conversations as (

    select * from {{ ref('fct_conversations') }}

),

tool_calls as (

    select * from {{ ref('int_tool_calls_paired') }}

),

ordered as (

    select
        conversations.config,
        coalesce(tool_calls.tool_name, '(unnamed)') as from_tool,
        lead(coalesce(tool_calls.tool_name, '(unnamed)')) over (
            partition by tool_calls.conversation_key
            order by tool_calls.message_index, tool_calls.call_index
        ) as to_tool

    from tool_calls
    inner join conversations
        on tool_calls.conversation_key = conversations.conversation_key

),

aggregated as (

    select
        config,
        from_tool,
        to_tool,
        count(*) as transitions

    from ordered
    where to_tool is not null
    group by config, from_tool, to_tool

),

final as (

    select
        cast(config as {{ dbt.type_string() }}) as config,
        cast(from_tool as {{ dbt.type_string() }}) as from_tool,
        cast(to_tool as {{ dbt.type_string() }}) as to_tool,
        cast(transitions as bigint) as transitions,
        cast(
            transitions * 1.0 / sum(transitions) over (partition by config, from_tool) as double
        ) as share_of_from_tool

    from aggregated

)

select * from final

{#
  Which tool follows which: counts of consecutive tool calls within a conversation, in call
  order (message, then position in the turn), for a heatmap. Calls without a usable name are
  '(unnamed)'.
#}

with

tool_calls as (

    select * from {{ ref('fct_tool_calls') }}

),

ordered as (

    select
        config,
        coalesce(tool_name, '(unnamed)') as from_tool,
        lead(coalesce(tool_name, '(unnamed)')) over (
            partition by conversation_key
            order by message_index, call_index
        ) as to_tool

    from tool_calls

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

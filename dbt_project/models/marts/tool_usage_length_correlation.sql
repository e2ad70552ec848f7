{#
  Does tool usage grow with conversation length? Pearson correlation of tool calls with
  messages per config and category (roll-up rows '(all)'), and the least-squares slope
  (tool calls per extra message). Null when a group has fewer than two distinct lengths.
#}

with

conversations as (

    select * from {{ ref('fct_conversations') }}

),

labelled as (

    select
        config,
        coalesce(category, '(none)') as category,
        cast(messages as double) as messages,
        cast(tool_calls as double) as tool_calls

    from conversations

),

aggregated as (

    select
        config,
        case when grouping(category) = 1 then '(all)' else category end as category,
        count(*) as conversations,
        avg(messages) as avg_messages,
        avg(tool_calls) as avg_tool_calls,
        corr(tool_calls, messages) as correlation,
        {{ tracehouse.regr_slope('tool_calls', 'messages') }} as tool_calls_per_message

    from labelled
    group by config, rollup(category)

),

final as (

    select
        cast(config as {{ dbt.type_string() }}) as config,
        cast(category as {{ dbt.type_string() }}) as category,
        cast(conversations as bigint) as conversations,
        cast(avg_messages as double) as avg_messages,
        cast(avg_tool_calls as double) as avg_tool_calls,
        cast(case when isnan(correlation) then null else correlation end as double) as correlation,
        cast(tool_calls_per_message as double) as tool_calls_per_message

    from aggregated

)

select * from final

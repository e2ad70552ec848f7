{#
  Where does the agent fail to complete tasks? Outcomes and tool failures per config,
  category and subcategory, with roll-up rows ('(all)'). Outcome rules: _definitions.md.
#}

with

conversations as (

    select * from {{ ref('fct_conversations') }}

),

labelled as (

    select
        config,
        coalesce(category, '(none)') as category,
        coalesce(subcategory, '(none)') as subcategory,
        outcome,
        tool_calls,
        failed_tool_calls

    from conversations

),

aggregated as (

    select
        config,
        case when grouping(category) = 1 then '(all)' else category end as category,
        case when grouping(subcategory) = 1 then '(all)' else subcategory end as subcategory,
        count(*) as conversations,
        sum(case when outcome = 'answered' then 1 else 0 end) as answered,
        sum(case when outcome = 'answered_after_unresolved_error' then 1 else 0 end)
            as answered_after_unresolved_error,
        sum(case when outcome = 'iteration_limit' then 1 else 0 end) as iteration_limit,
        sum(case when outcome = 'cut_off' then 1 else 0 end) as cut_off,
        sum(case when outcome = 'empty' then 1 else 0 end) as empty,
        sum(case when failed_tool_calls > 0 then 1 else 0 end) as conversations_with_failed_call,
        sum(tool_calls) as tool_calls,
        sum(failed_tool_calls) as failed_tool_calls

    from labelled
    group by config, rollup(category, subcategory)

),

final as (

    select
        cast(config as {{ dbt.type_string() }}) as config,
        cast(category as {{ dbt.type_string() }}) as category,
        cast(subcategory as {{ dbt.type_string() }}) as subcategory,
        cast(conversations as bigint) as conversations,
        cast(answered as bigint) as answered,
        cast(answered_after_unresolved_error as bigint) as answered_after_unresolved_error,
        cast(iteration_limit as bigint) as iteration_limit,
        cast(cut_off as bigint) as cut_off,
        cast(empty as bigint) as empty,
        cast(answered * 1.0 / conversations as double) as answered_rate,
        cast((answered + answered_after_unresolved_error) * 1.0 / conversations as double)
            as completion_rate,
        cast((iteration_limit + cut_off + empty) * 1.0 / conversations as double)
            as incomplete_rate,
        cast(conversations_with_failed_call as bigint) as conversations_with_failed_call,
        cast(conversations_with_failed_call * 1.0 / conversations as double)
            as failed_call_conversation_rate,
        cast(tool_calls as bigint) as tool_calls,
        cast(failed_tool_calls as bigint) as failed_tool_calls,
        cast(case when tool_calls > 0 then failed_tool_calls * 1.0 / tool_calls end as double)
            as call_error_rate

    from aggregated

)

select * from final

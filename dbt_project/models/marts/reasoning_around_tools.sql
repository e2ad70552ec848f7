{#
  Does the agent think more before calling a tool, or after receiving results?
  Think words of assistant turns by what preceded them (preceded_by: human, tool_ok,
  tool_error, none) and what they do (turn_action: calls_tool when the turn holds at least one
  `<tool_call>`, else answers), with roll-up rows ('(any)') on either side.
#}

with

assistant_turns as (

    select * from {{ ref('fct_assistant_turns') }}

),

labelled as (

    select
        config,
        preceded_by,
        case when tool_calls > 0 then 'calls_tool' else 'answers' end as turn_action,
        think_words,
        think_chars

    from assistant_turns

),

aggregated as (

    select
        config,
        case when grouping(preceded_by) = 1 then '(any)' else preceded_by end as preceded_by,
        case when grouping(turn_action) = 1 then '(any)' else turn_action end as turn_action,
        count(*) as assistant_turns,
        sum(case when think_words > 0 then 1 else 0 end) as reasoning_turns,
        avg(think_words) as avg_think_words,
        {{ tracehouse.quantile('think_words', 0.5) }} as median_think_words,
        {{ tracehouse.quantile('think_words', 0.9) }} as p90_think_words,
        avg(think_chars) as avg_think_chars

    from labelled
    group by config, cube(preceded_by, turn_action)

),

final as (

    select
        cast(config as {{ dbt.type_string() }}) as config,
        cast(preceded_by as {{ dbt.type_string() }}) as preceded_by,
        cast(turn_action as {{ dbt.type_string() }}) as turn_action,
        cast(assistant_turns as bigint) as assistant_turns,
        cast(reasoning_turns as bigint) as reasoning_turns,
        cast(avg_think_words as double) as avg_think_words,
        cast(median_think_words as double) as median_think_words,
        cast(p90_think_words as double) as p90_think_words,
        cast(avg_think_chars as double) as avg_think_chars

    from aggregated

)

select * from final

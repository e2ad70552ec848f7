{#
  "Does the agent think more before calling a tool or after receiving results?": think words
  of assistant turns by what came right before them (a human message, a tool message whose
  results all succeeded, one with a failed result), per config, for the page's first chart
  and its finding. A slice of reasoning_around_tools (every turn_action together).
#}

with

reasoning_around_tools as (

    select * from {{ ref('reasoning_around_tools') }}

),

final as (

    select
        config,
        preceded_by,
        assistant_turns,
        reasoning_turns,
        avg_think_words,
        median_think_words

    from reasoning_around_tools
    where
        turn_action = '(any)'
        and preceded_by in ('human', 'tool_ok', 'tool_error')

)

select * from final

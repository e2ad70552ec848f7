{#
  How many tool calls an assistant turn issues at once: assistant turns per config and
  parallel width (the number of `<tool_call>` blocks of the turn, malformed ones included;
  0 for turns that call no tool).
#}

with

assistant_turns as (

    select * from {{ ref('fct_assistant_turns') }}

),

aggregated as (

    select
        config,
        tool_calls as parallel_width,
        count(*) as assistant_turns

    from assistant_turns
    group by config, tool_calls

),

final as (

    select
        cast(config as {{ dbt.type_string() }}) as config,
        cast(parallel_width as integer) as parallel_width,
        cast(assistant_turns as bigint) as assistant_turns,
        cast(assistant_turns * parallel_width as bigint) as tool_calls,
        cast(
            assistant_turns * 1.0 / sum(assistant_turns) over (partition by config) as double
        ) as share_of_turns,
        cast(
            case when parallel_width > 0 then assistant_turns end * 1.0
            / sum(case when parallel_width > 0 then assistant_turns end) over (partition by config)
            as double
        ) as share_of_calling_turns

    from aggregated

)

select * from final

{#
  Which tool follows which, for the transitions heatmap: tool_transitions between the ten
  tools most often followed by another call (over every config; tool_rank 1 = the most),
  each with its share of the calls that follow the earlier tool. The chart's rows and
  columns are these ranks, the same for every config.
#}

with

tool_transitions as (

    select * from {{ ref('tool_transitions') }}

),

tool_totals as (

    select
        from_tool as tool_name,
        sum(transitions) as transitions

    from tool_transitions
    group by from_tool

),

top_tools as (

    select
        tool_name,
        row_number() over (order by transitions desc, tool_name asc) as tool_rank

    from tool_totals

),

final as (

    select
        tool_transitions.config,
        tool_transitions.from_tool,
        tool_transitions.to_tool,
        cast(from_tools.tool_rank as integer) as from_tool_rank,
        cast(to_tools.tool_rank as integer) as to_tool_rank,
        tool_transitions.transitions,
        tool_transitions.share_of_from_tool

    from tool_transitions
    inner join top_tools as from_tools
        on tool_transitions.from_tool = from_tools.tool_name
    inner join top_tools as to_tools
        on tool_transitions.to_tool = to_tools.tool_name
    where
        from_tools.tool_rank <= 10
        and to_tools.tool_rank <= 10

)

select * from final

{#
  Tool calls per conversation by category, per config, for the chart of the same name: a
  slice of completion_by_category (every subcategory together, no roll-up rows).
#}

with

completion_by_category as (

    select * from {{ ref('completion_by_category') }}

),

final as (

    select
        config,
        category,
        conversations,
        tool_calls,
        cast(tool_calls * 1.0 / conversations as double) as avg_tool_calls

    from completion_by_category
    where
        subcategory = '(all)'
        and category != '(all)'

)

select * from final

{#
  "Which categories fail to complete tasks most often?": outcomes per config and category,
  with each config's roll-up row (is_all_categories), for the completion chart, its finding
  and the categories table. incomplete_rank orders a config's categories from the least
  complete (the table's order). A slice of completion_by_category (every subcategory
  together).
#}

with

completion_by_category as (

    select * from {{ ref('completion_by_category') }}

),

categories as (

    select
        *,
        category = '(all)' as is_all_categories

    from completion_by_category
    where subcategory = '(all)'

),

final as (

    select
        config,
        category,
        cast(is_all_categories as boolean) as is_all_categories,
        cast(row_number() over (
            partition by config, is_all_categories
            order by incomplete_rate desc, conversations desc, category asc
        ) as integer) as incomplete_rank,
        conversations,
        answered,
        answered_after_unresolved_error,
        iteration_limit,
        cut_off,
        empty,
        completion_rate,
        incomplete_rate,
        tool_calls,
        failed_tool_calls,
        call_error_rate

    from categories

)

select * from final

{#
  What assistant turns do, per config and category: turns of each turn_kind (reasoning and
  a tool call, reasoning only, a tool call only, neither) and their share of the category's
  turns, for the stacked bars of the same name. A missing category is '(none)'.
#}

with

assistant_turns as (

    select * from {{ ref('fct_assistant_turns') }}

),

counted as (

    select
        config,
        coalesce(category, '(none)') as category,
        turn_kind,
        count(*) as assistant_turns

    from assistant_turns
    group by config, coalesce(category, '(none)'), turn_kind

),

final as (

    select
        cast(config as {{ dbt.type_string() }}) as config,
        cast(category as {{ dbt.type_string() }}) as category,
        cast(turn_kind as {{ dbt.type_string() }}) as turn_kind,
        cast(assistant_turns as bigint) as assistant_turns,
        cast(
            assistant_turns * 1.0 / sum(assistant_turns) over (partition by config, category)
            as double
        ) as share_of_turns

    from counted

)

select * from final

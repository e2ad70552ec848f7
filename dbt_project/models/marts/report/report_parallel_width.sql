{#
  How many tools a calling turn calls at once, per config: the turns of
  parallel_width_distribution that call at least one tool, with their share of the calling
  turns, for the parallel-width chart.
#}

with

parallel_width_distribution as (

    select * from {{ ref('parallel_width_distribution') }}

),

final as (

    select
        config,
        parallel_width,
        assistant_turns,
        share_of_calling_turns

    from parallel_width_distribution
    where parallel_width > 0

)

select * from final

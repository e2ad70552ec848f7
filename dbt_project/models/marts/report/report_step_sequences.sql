{#
  What happens at each of the first 40 steps of a trajectory, per config, for the step
  heatmap: step_sequences with the calls of all but the eight most called tools (over every
  config and position) pooled as 'call:(other tools)', and each kind's share of the steps
  at that position.
#}

with

step_sequences as (

    select * from {{ ref('step_sequences') }}

),

call_totals as (

    select
        step_kind,
        sum(steps) as calls

    from step_sequences
    where step_kind like 'call:%'
    group by step_kind

),

ranked_calls as (

    select
        step_kind,
        row_number() over (order by calls desc, step_kind asc) as call_rank

    from call_totals

),

top_calls as (

    select step_kind

    from ranked_calls
    where call_rank <= 8

),

labelled as (

    select
        step_sequences.config,
        step_sequences.step_position,
        case
            when step_sequences.step_kind like 'call:%' and top_calls.step_kind is null
                then 'call:(other tools)'
            else step_sequences.step_kind
        end as step_kind,
        step_sequences.steps

    from step_sequences
    left join top_calls
        on step_sequences.step_kind = top_calls.step_kind
    where step_sequences.step_position <= 40

),

pooled as (

    select
        config,
        step_position,
        step_kind,
        sum(steps) as steps

    from labelled
    group by config, step_position, step_kind

),

final as (

    select
        cast(config as {{ dbt.type_string() }}) as config,
        cast(step_position as integer) as step_position,
        cast(step_kind as {{ dbt.type_string() }}) as step_kind,
        cast(steps as bigint) as steps,
        cast(
            steps * 1.0 / sum(steps) over (partition by config, step_position) as double
        ) as share_at_position

    from pooled

)

select * from final

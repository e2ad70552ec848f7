{#
  Which conversations the trace replay shows, two per config:
  - typical: the answered conversation whose length is closest to the median length of the
    config's answered conversations (more tool calls first on a tie);
  - troubled: one that did not end well (iteration limit, cut off, or answered after an
    unresolved tool error) with more than two messages, the most failed calls first, then
    the length closest to 16 messages (long enough to show a pattern, short enough to read).
  Ties go to the smallest conversation_key, so the choice is stable between builds.
  Only keys and counts: the report reads the texts of these few conversations when it is
  written (report_replay_steps, block_texts).
#}

with

conversations as (

    select * from {{ ref('fct_conversations') }}

),

answered as (

    select * from conversations
    where outcome = 'answered'

),

median_lengths as (

    select
        config,
        {{ tracehouse.quantile('messages', 0.5) }} as median_messages

    from answered
    group by config

),

typical as (

    select
        answered.*,
        'typical' as replay_kind,
        row_number() over (
            partition by answered.config
            order by
                abs(answered.messages - median_lengths.median_messages) asc,
                answered.tool_calls desc,
                answered.conversation_key asc
        ) as pick

    from answered
    inner join median_lengths
        on answered.config = median_lengths.config

),

troubled as (

    select
        *,
        'troubled' as replay_kind,
        row_number() over (
            partition by config
            order by failed_tool_calls desc, abs(messages - 16) asc, conversation_key asc
        ) as pick

    from conversations
    where
        outcome in ('iteration_limit', 'cut_off', 'answered_after_unresolved_error')
        and messages > 2

),

picked as (

    select * from typical
    where pick = 1

    union all

    select * from troubled
    where pick = 1

),

final as (

    select
        cast(conversation_key as {{ dbt.type_string() }}) as conversation_key,
        cast(config as {{ dbt.type_string() }}) as config,
        cast(replay_kind as {{ dbt.type_string() }}) as replay_kind,
        cast(conversation_id as {{ dbt.type_string() }}) as conversation_id,
        cast(category as {{ dbt.type_string() }}) as category,
        cast(subcategory as {{ dbt.type_string() }}) as subcategory,
        cast(messages as bigint) as messages,
        cast(tool_calls as bigint) as tool_calls,
        cast(failed_tool_calls as bigint) as failed_tool_calls,
        cast(outcome as {{ dbt.type_string() }}) as outcome

    from picked

)

select * from final

{#
  Which failed calls the tools table quotes: for each tool, its two most frequent failure
  rules (error_kind) and one failed call of each. Only the keys are kept; the report reads
  those calls' result text from tool_call_texts when it is written, so no text is stored.
  The example of a rule is its call with the smallest key (any would do; this one is
  stable from build to build).
#}

with

tool_calls as (

    select * from {{ ref('int_tool_calls_paired') }}

),

failed as (

    select
        coalesce(tool_name, '(unnamed)') as tool_name,
        error_kind,
        conversation_key,
        message_index,
        call_index

    from tool_calls
    where status = 'error'

),

kinds as (

    select
        tool_name,
        error_kind,
        count(*) as failed_calls

    from failed
    group by tool_name, error_kind

),

ranked_kinds as (

    select
        *,
        row_number() over (
            partition by tool_name
            order by failed_calls desc, error_kind asc
        ) as example_rank

    from kinds

),

examples as (

    select
        *,
        row_number() over (
            partition by tool_name, error_kind
            order by conversation_key, message_index, call_index
        ) as call_rank

    from failed

),

final as (

    select
        cast(ranked_kinds.tool_name as {{ dbt.type_string() }}) as tool_name,
        cast(ranked_kinds.example_rank as integer) as example_rank,
        cast(ranked_kinds.error_kind as {{ dbt.type_string() }}) as error_kind,
        cast(ranked_kinds.failed_calls as bigint) as failed_calls,
        cast(examples.conversation_key as {{ dbt.type_string() }}) as conversation_key,
        cast(examples.message_index as integer) as message_index,
        cast(examples.call_index as integer) as call_index

    from ranked_kinds
    inner join examples
        on
            ranked_kinds.tool_name = examples.tool_name
            and ranked_kinds.error_kind = examples.error_kind
    where
        ranked_kinds.example_rank <= 2
        and examples.call_rank = 1

)

select * from final

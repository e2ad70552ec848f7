{#
  After a failed call, what does the agent do next? For every tool call with status `error`,
  the next assistant turn of the conversation that issues tool calls (after the failed
  result arrived) is compared with it:
  - repeated: that turn holds a call to the same tool with identical arguments;
  - changed_arguments: it calls the same tool, only with other arguments;
  - changed_tool: it calls only other tools;
  - no_further_call: no later turn calls a tool.
  Arguments are compared by arguments_hash (the md5 of their minified JSON). Counts per
  config, tool and error_kind.
#}

with

conversations as (

    select * from {{ ref('fct_conversations') }}

),

tool_calls as (

    select * from {{ ref('int_tool_calls_paired') }}

),

turns_with_calls as (

    select distinct
        conversation_key,
        message_index

    from tool_calls

),

calling_turns as (

    -- every assistant turn that calls tools, with the next one of its conversation
    select
        conversation_key,
        message_index,
        lead(message_index) over (
            partition by conversation_key
            order by message_index
        ) as next_message_index

    from turns_with_calls

),

failed_calls as (

    select
        tool_calls.conversation_key,
        conversations.config,
        tool_calls.message_index,
        tool_calls.call_index,
        coalesce(tool_calls.tool_name, '(unnamed)') as tool_name,
        tool_calls.tool_name as raw_tool_name,
        tool_calls.arguments_hash,
        tool_calls.error_kind,
        calling_turns.next_message_index

    from tool_calls
    inner join conversations
        on tool_calls.conversation_key = conversations.conversation_key
    inner join calling_turns
        on
            tool_calls.conversation_key = calling_turns.conversation_key
            and tool_calls.message_index = calling_turns.message_index
    where tool_calls.status = 'error'

),

compared as (

    select
        failed_calls.conversation_key,
        failed_calls.message_index,
        failed_calls.call_index,
        coalesce(bool_or(
            next_calls.tool_name = failed_calls.raw_tool_name
            and next_calls.arguments_hash = failed_calls.arguments_hash
        ), false) as has_identical_call,
        coalesce(bool_or(next_calls.tool_name = failed_calls.raw_tool_name), false) as has_same_tool

    from failed_calls
    left join tool_calls as next_calls
        on
            failed_calls.conversation_key = next_calls.conversation_key
            and failed_calls.next_message_index = next_calls.message_index
    group by
        failed_calls.conversation_key,
        failed_calls.message_index,
        failed_calls.call_index

),

classified as (

    select
        failed_calls.config,
        failed_calls.tool_name,
        failed_calls.error_kind,
        case
            when failed_calls.next_message_index is null then 'no_further_call'
            when compared.has_identical_call then 'repeated'
            when compared.has_same_tool then 'changed_arguments'
            else 'changed_tool'
        end as recovery

    from failed_calls
    inner join compared
        on
            failed_calls.conversation_key = compared.conversation_key
            and failed_calls.message_index = compared.message_index
            and failed_calls.call_index = compared.call_index

),

aggregated as (

    select
        config,
        tool_name,
        error_kind,
        recovery,
        count(*) as failed_calls

    from classified
    group by config, tool_name, error_kind, recovery

),

final as (

    select
        cast(config as {{ dbt.type_string() }}) as config,
        cast(tool_name as {{ dbt.type_string() }}) as tool_name,
        cast(error_kind as {{ dbt.type_string() }}) as error_kind,
        cast(recovery as {{ dbt.type_string() }}) as recovery,
        cast(failed_calls as bigint) as failed_calls,
        cast(
            failed_calls * 1.0 / sum(failed_calls) over (partition by config, tool_name, error_kind)
            as double
        ) as share_of_failures

    from aggregated

)

select * from final

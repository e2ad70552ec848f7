{#
  One row per conversation (a dataset row of a slice), with its shape, its extra source
  columns, its counts and its outcome. Outcome rules: _definitions.md, outcome_rules.
#}

with

conversations as (

    select * from {{ ref('stg_hermes__conversations') }}
    {{ tracehouse.where_load_is_new() }}

),

tools_declared as (

    select * from {{ ref('int_tools_declared') }}
    {{ tracehouse.where_load_is_new() }}

),

messages as (

    select * from {{ ref('int_messages_sequenced') }}
    {{ tracehouse.where_load_is_new() }}

),

blocks as (

    select * from {{ ref('int_blocks_parsed') }}
    {{ tracehouse.where_load_is_new() }}

),

tool_calls as (

    select * from {{ ref('int_tool_calls_paired') }}
    {{ tracehouse.where_load_is_new() }}

),

message_counts as (

    select
        conversation_key,
        count(*) as messages,
        sum(message_chars) as message_chars,
        sum(case when message_role = 'system' then 1 else 0 end) as system_messages,
        sum(case when message_role = 'human' then 1 else 0 end) as human_messages,
        sum(case when message_role = 'gpt' then 1 else 0 end) as assistant_turns,
        sum(case when message_role = 'tool' then 1 else 0 end) as tool_messages,
        coalesce(bool_or(is_iteration_limit_notice), false) as has_iteration_limit_notice

    from messages
    group by conversation_key

),

last_messages as (

    select
        conversation_key,
        message_role as last_message_role,
        is_assistant_answer as ends_with_answer,
        last_tool_message_failed

    from messages
    where is_last_message

),

block_counts as (

    select
        conversation_key,
        sum(case when block_kind = 'think' then think_words else 0 end) as think_words,
        sum(case when block_kind = 'think' then body_length else 0 end) as think_chars,
        sum(case when block_kind = 'tool_response' then 1 else 0 end) as tool_responses,
        sum(case when block_kind = 'tool_response' and error_kind is not null then 1 else 0 end)
            as failed_tool_responses,
        sum(case when legacy_error then 1 else 0 end) as legacy_errors

    from blocks
    where message_role in ('gpt', 'tool')
    group by conversation_key

),

call_counts as (

    select
        conversation_key,
        count(*) as tool_calls,
        sum(case when is_malformed then 1 else 0 end) as malformed_tool_calls,
        sum(case when not is_malformed and not is_declared_tool then 1 else 0 end)
            as undeclared_tool_calls,
        sum(case when status = 'error' then 1 else 0 end) as failed_tool_calls,
        sum(case when status = 'no_response' then 1 else 0 end) as no_response_tool_calls,
        count(distinct tool_name) as distinct_tools_called

    from tool_calls
    group by conversation_key

),

declared as (

    select
        conversation_key,
        count(distinct tool_name) as declared_tools

    from tools_declared
    group by conversation_key

),

joined as (

    select
        conversations.conversation_key,
        conversations.conversation_id,
        conversations.source,
        conversations.config,
        conversations.split,
        conversations.row_index,
        conversations.trace_format,
        conversations.category,
        conversations.subcategory,
        conversations.task,
        conversations.extra_columns_json,
        conversations.is_duplicate_id,
        conversations.load_id,
        coalesce(message_counts.messages, 0) as messages,
        coalesce(message_counts.message_chars, 0) as message_chars,
        coalesce(message_counts.system_messages, 0) as system_messages,
        coalesce(message_counts.human_messages, 0) as human_messages,
        coalesce(message_counts.assistant_turns, 0) as assistant_turns,
        coalesce(message_counts.tool_messages, 0) as tool_messages,
        coalesce(call_counts.tool_calls, 0) as tool_calls,
        coalesce(call_counts.malformed_tool_calls, 0) as malformed_tool_calls,
        coalesce(call_counts.undeclared_tool_calls, 0) as undeclared_tool_calls,
        coalesce(call_counts.failed_tool_calls, 0) as failed_tool_calls,
        coalesce(call_counts.no_response_tool_calls, 0) as no_response_tool_calls,
        coalesce(call_counts.distinct_tools_called, 0) as distinct_tools_called,
        coalesce(block_counts.tool_responses, 0) as tool_responses,
        coalesce(block_counts.failed_tool_responses, 0) as failed_tool_responses,
        coalesce(block_counts.legacy_errors, 0) as legacy_errors,
        coalesce(declared.declared_tools, 0) as declared_tools,
        coalesce(block_counts.think_words, 0) as think_words,
        coalesce(block_counts.think_chars, 0) as think_chars,
        coalesce(message_counts.has_iteration_limit_notice, false) as has_iteration_limit_notice,
        last_messages.last_message_role,
        coalesce(last_messages.ends_with_answer, false) as ends_with_answer,
        coalesce(last_messages.last_tool_message_failed, false) as last_tool_message_failed

    from conversations
    left join message_counts
        on conversations.conversation_key = message_counts.conversation_key
    left join last_messages
        on conversations.conversation_key = last_messages.conversation_key
    left join block_counts
        on conversations.conversation_key = block_counts.conversation_key
    left join call_counts
        on conversations.conversation_key = call_counts.conversation_key
    left join declared
        on conversations.conversation_key = declared.conversation_key

),

final as (

    select
        cast(conversation_key as {{ dbt.type_string() }}) as conversation_key,
        cast(conversation_id as {{ dbt.type_string() }}) as conversation_id,
        cast(load_id as {{ dbt.type_string() }}) as load_id,
        cast(source as {{ dbt.type_string() }}) as source,
        cast(config as {{ dbt.type_string() }}) as config,
        cast(split as {{ dbt.type_string() }}) as split,
        cast(row_index as bigint) as row_index,
        cast(trace_format as {{ dbt.type_string() }}) as trace_format,
        cast(category as {{ dbt.type_string() }}) as category,
        cast(subcategory as {{ dbt.type_string() }}) as subcategory,
        cast(task as {{ dbt.type_string() }}) as task,
        cast(extra_columns_json as {{ tracehouse.json_type() }}) as extra_columns,
        cast(is_duplicate_id as boolean) as is_duplicate_id,
        cast(messages as bigint) as messages,
        cast(message_chars as bigint) as message_chars,
        cast(system_messages as bigint) as system_messages,
        cast(human_messages as bigint) as human_messages,
        cast(assistant_turns as bigint) as assistant_turns,
        cast(tool_messages as bigint) as tool_messages,
        cast(tool_calls as bigint) as tool_calls,
        cast(malformed_tool_calls as bigint) as malformed_tool_calls,
        cast(undeclared_tool_calls as bigint) as undeclared_tool_calls,
        cast(failed_tool_calls as bigint) as failed_tool_calls,
        cast(no_response_tool_calls as bigint) as no_response_tool_calls,
        cast(distinct_tools_called as bigint) as distinct_tools_called,
        cast(declared_tools as bigint) as declared_tools,
        cast(tool_responses as bigint) as tool_responses,
        cast(failed_tool_responses as bigint) as failed_tool_responses,
        cast(legacy_errors as bigint) as legacy_errors,
        cast(think_words as bigint) as think_words,
        cast(think_chars as bigint) as think_chars,
        cast(last_message_role as {{ dbt.type_string() }}) as last_message_role,
        cast(
            case
                when assistant_turns = 0 then 'empty'
                when has_iteration_limit_notice then 'iteration_limit'
                when not ends_with_answer then 'cut_off'
                when last_tool_message_failed then 'answered_after_unresolved_error'
                else 'answered'
            end as {{ dbt.type_string() }}
        ) as outcome,
        cast({{ tracehouse.rules_version() }} as integer) as rules_version

    from joined

)

select * from final

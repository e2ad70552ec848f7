{#
  Tool usage per config, category, subcategory and tool: calls, conversations, shares and
  error rate. Calls whose body has no usable name are counted under '(unnamed)'; a missing
  category or subcategory is '(none)'.
#}

with

conversations as (

    select * from {{ ref('fct_conversations') }}

),

tool_calls as (

    select * from {{ ref('int_tool_calls_paired') }}

),

group_conversations as (

    select
        config,
        coalesce(category, '(none)') as category,
        coalesce(subcategory, '(none)') as subcategory,
        count(*) as group_conversations

    from conversations
    group by 1, 2, 3

),

usage as (

    select
        conversations.config,
        coalesce(conversations.category, '(none)') as category,
        coalesce(conversations.subcategory, '(none)') as subcategory,
        coalesce(tool_calls.tool_name, '(unnamed)') as tool_name,
        count(*) as calls,
        count(distinct tool_calls.conversation_key) as conversations,
        sum(case when tool_calls.status = 'error' then 1 else 0 end) as failed_calls,
        sum(case when tool_calls.status = 'no_response' then 1 else 0 end) as no_response_calls,
        sum(case when tool_calls.is_malformed then 1 else 0 end) as malformed_calls,
        sum(case when not tool_calls.is_malformed and not tool_calls.is_declared_tool then 1 else 0 end)
            as undeclared_calls

    from tool_calls
    inner join conversations
        on tool_calls.conversation_key = conversations.conversation_key
    group by 1, 2, 3, 4

),

final as (

    select
        cast(usage.config as {{ dbt.type_string() }}) as config,
        cast(usage.category as {{ dbt.type_string() }}) as category,
        cast(usage.subcategory as {{ dbt.type_string() }}) as subcategory,
        cast(usage.tool_name as {{ dbt.type_string() }}) as tool_name,
        cast(usage.calls as bigint) as calls,
        cast(usage.conversations as bigint) as conversations,
        cast(
            usage.calls * 1.0 / sum(usage.calls) over (
                partition by usage.config, usage.category, usage.subcategory
            ) as double
        ) as share_of_calls,
        cast(
            usage.conversations * 1.0 / group_conversations.group_conversations as double
        ) as share_of_conversations,
        cast(usage.failed_calls as bigint) as failed_calls,
        cast(usage.no_response_calls as bigint) as no_response_calls,
        cast(usage.malformed_calls as bigint) as malformed_calls,
        cast(usage.undeclared_calls as bigint) as undeclared_calls,
        cast(usage.failed_calls * 1.0 / usage.calls as double) as error_rate

    from usage
    inner join group_conversations
        on
            usage.config = group_conversations.config
            and usage.category = group_conversations.category
            and usage.subcategory = group_conversations.subcategory

)

select * from final

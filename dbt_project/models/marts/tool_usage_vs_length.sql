{#
  The points of a scatter plot of tool usage against conversation length: one row per
  conversation. The correlations per category are in tool_usage_length_correlation.
#}

with

conversations as (

    select * from {{ ref('fct_conversations') }}

),

final as (

    select
        cast(conversation_key as {{ dbt.type_string() }}) as conversation_key,
        cast(conversation_id as {{ dbt.type_string() }}) as conversation_id,
        cast(config as {{ dbt.type_string() }}) as config,
        cast(category as {{ dbt.type_string() }}) as category,
        cast(subcategory as {{ dbt.type_string() }}) as subcategory,
        cast(messages as bigint) as messages,
        cast(assistant_turns as bigint) as assistant_turns,
        cast(tool_calls as bigint) as tool_calls,
        cast(think_words as bigint) as think_words,
        cast(outcome as {{ dbt.type_string() }}) as outcome

    from conversations

)

select * from final

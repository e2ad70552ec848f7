{# Conversations per config and length in messages: the conversation-length histogram. #}

with

conversations as (

    select * from {{ ref('fct_conversations') }}

),

final as (

    select
        cast(config as {{ dbt.type_string() }}) as config,
        cast(messages as bigint) as messages,
        cast(count(*) as bigint) as conversations

    from conversations
    group by config, messages

)

select * from final

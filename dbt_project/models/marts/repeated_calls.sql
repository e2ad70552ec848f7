{#
  Loops: calls a conversation issues more than once with the same tool and identical
  arguments (minified JSON text). One row per conversation and call signature occurring at
  least twice; consecutive_repeats counts the occurrences that come right after an identical
  call (the conversation's previous call), the signature of a loop.

  The arguments are not stored: the first occurrence's keys find them in fct_tool_calls or
  tool_call_texts.
#}

with

conversations as (

    select * from {{ ref('stg_hermes__conversations') }}

),

tool_calls as (

    select * from {{ ref('int_tool_calls_paired') }}

),

signed as (

    select
        conversation_key,
        message_index,
        call_index,
        tool_name,
        status,
        {{ tracehouse.surrogate_key(['tool_name', 'arguments_hash']) }} as call_signature

    from tool_calls
    where tool_name is not null

),

sequenced as (

    select
        *,
        lag(call_signature) over (
            partition by conversation_key
            order by message_index, call_index
        ) as previous_call_signature,
        row_number() over (
            partition by conversation_key, call_signature
            order by message_index, call_index
        ) as occurrence_number

    from signed

),

aggregated as (

    select
        conversation_key,
        call_signature,
        min(tool_name) as tool_name,
        min(case when occurrence_number = 1 then call_index end) as first_call_index,
        count(*) as occurrences,
        sum(case when previous_call_signature = call_signature then 1 else 0 end)
            as consecutive_repeats,
        sum(case when status = 'error' then 1 else 0 end) as failed_occurrences,
        min(message_index) as first_message_index,
        max(message_index) as last_message_index

    from sequenced
    group by conversation_key, call_signature
    having count(*) > 1

),

final as (

    select
        cast(aggregated.conversation_key as {{ dbt.type_string() }}) as conversation_key,
        cast(aggregated.call_signature as {{ dbt.type_string() }}) as call_signature,
        cast(conversations.conversation_id as {{ dbt.type_string() }}) as conversation_id,
        cast(conversations.load_id as {{ dbt.type_string() }}) as load_id,
        cast(conversations.config as {{ dbt.type_string() }}) as config,
        cast(conversations.category as {{ dbt.type_string() }}) as category,
        cast(conversations.subcategory as {{ dbt.type_string() }}) as subcategory,
        cast(aggregated.tool_name as {{ dbt.type_string() }}) as tool_name,
        cast(aggregated.first_call_index as integer) as first_call_index,
        cast(aggregated.occurrences as bigint) as occurrences,
        cast(aggregated.consecutive_repeats as bigint) as consecutive_repeats,
        cast(aggregated.failed_occurrences as bigint) as failed_occurrences,
        cast(aggregated.first_message_index as integer) as first_message_index,
        cast(aggregated.last_message_index as integer) as last_message_index

    from aggregated
    inner join conversations
        on aggregated.conversation_key = conversations.conversation_key

)

select * from final

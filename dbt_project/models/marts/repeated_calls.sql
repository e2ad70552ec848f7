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

sequenced as (

    select
        conversation_key,
        message_index,
        call_index,
        tool_name,
        arguments_hash,
        status,
        lag(tool_name) over calls_in_order as previous_tool_name,
        lag(arguments_hash) over calls_in_order as previous_arguments_hash

    from tool_calls
    where tool_name is not null
    window calls_in_order as (
        partition by conversation_key
        order by message_index, call_index
    )

),

aggregated as (

    -- grouped by tool and arguments: a null arguments_hash is a group of its own and equals
    -- '' in consecutive_repeats, as in the signature (an md5 in hex is never ''); the
    -- signature is computed for the repeated ones only
    select
        conversation_key,
        tool_name,
        arguments_hash,
        min_by(call_index, (message_index, call_index)) as first_call_index,
        count(*) as occurrences,
        sum(
            case
                when
                    previous_tool_name = tool_name
                    and coalesce(previous_arguments_hash, '') = coalesce(arguments_hash, '')
                    then 1
                else 0
            end
        ) as consecutive_repeats,
        sum(case when status = 'error' then 1 else 0 end) as failed_occurrences,
        min(message_index) as first_message_index,
        max(message_index) as last_message_index

    from sequenced
    group by conversation_key, tool_name, arguments_hash
    having count(*) > 1

),

signed as (

    select
        *,
        {{ tracehouse.surrogate_key(['tool_name', 'arguments_hash']) }} as call_signature

    from aggregated

),

final as (

    select
        cast(signed.conversation_key as {{ dbt.type_string() }}) as conversation_key,
        cast(signed.call_signature as {{ dbt.type_string() }}) as call_signature,
        cast(conversations.conversation_id as {{ dbt.type_string() }}) as conversation_id,
        cast(conversations.load_id as {{ dbt.type_string() }}) as load_id,
        cast(conversations.config as {{ dbt.type_string() }}) as config,
        cast(conversations.category as {{ dbt.type_string() }}) as category,
        cast(conversations.subcategory as {{ dbt.type_string() }}) as subcategory,
        cast(signed.tool_name as {{ dbt.type_string() }}) as tool_name,
        cast(signed.first_call_index as integer) as first_call_index,
        cast(signed.occurrences as bigint) as occurrences,
        cast(signed.consecutive_repeats as bigint) as consecutive_repeats,
        cast(signed.failed_occurrences as bigint) as failed_occurrences,
        cast(signed.first_message_index as integer) as first_message_index,
        cast(signed.last_message_index as integer) as last_message_index

    from signed
    inner join conversations
        on signed.conversation_key = conversations.conversation_key

)

select * from final

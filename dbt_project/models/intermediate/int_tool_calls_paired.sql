{#
  Every tool call with the response paired to it, if any. Calls carry no id, so pairing uses
  only names and order (_definitions.md, tool_call_rules): the candidate responses are those
  of the message right after the assistant turn (only tool messages have response blocks).

  1. By name: the k-th call named x pairs with the k-th response named x.
  2. By order: calls and responses left over in the turn pair by their order among leftovers.

  A malformed call that got no response therefore does not shift the others, and a call whose
  name was garbled still finds its response. The kimi id pattern is never used.
#}

with

conversations as (

    select * from {{ ref('stg_hermes__conversations') }}
    {{ tracehouse.where_load_is_new() }}

),

calls as (

    select * from {{ ref('int_tool_calls_parsed') }}
    {{ tracehouse.where_load_changed() }}

),

responses as (

    select * from {{ ref('int_tool_responses_classified') }}
    {{ tracehouse.where_load_changed() }}

),

calls_ranked as (

    select
        conversation_key,
        message_index,
        call_index,
        tool_name,
        message_index + 1 as response_message_index,
        -- calls without a name get a rank too, but never match by name (null != null)
        row_number() over (
            partition by conversation_key, message_index, tool_name
            order by call_index
        ) as name_rank

    from calls

),

responses_ranked as (

    select
        conversation_key,
        message_index,
        response_index,
        tool_name,
        row_number() over (
            partition by conversation_key, message_index, tool_name
            order by response_index
        ) as name_rank

    from responses

),

paired_by_name as (

    select
        calls_ranked.conversation_key,
        calls_ranked.message_index,
        calls_ranked.call_index,
        responses_ranked.message_index as response_message_index,
        responses_ranked.response_index

    from calls_ranked
    inner join responses_ranked
        on
            calls_ranked.conversation_key = responses_ranked.conversation_key
            and calls_ranked.response_message_index = responses_ranked.message_index
            and calls_ranked.tool_name = responses_ranked.tool_name
            and calls_ranked.name_rank = responses_ranked.name_rank

),

calls_left_over as (

    select
        calls_ranked.conversation_key,
        calls_ranked.message_index,
        calls_ranked.call_index,
        calls_ranked.response_message_index,
        row_number() over (
            partition by calls_ranked.conversation_key, calls_ranked.message_index
            order by calls_ranked.call_index
        ) as leftover_rank

    from calls_ranked
    left join paired_by_name
        on
            calls_ranked.conversation_key = paired_by_name.conversation_key
            and calls_ranked.message_index = paired_by_name.message_index
            and calls_ranked.call_index = paired_by_name.call_index
    where paired_by_name.call_index is null

),

responses_left_over as (

    select
        responses_ranked.conversation_key,
        responses_ranked.message_index,
        responses_ranked.response_index,
        row_number() over (
            partition by responses_ranked.conversation_key, responses_ranked.message_index
            order by responses_ranked.response_index
        ) as leftover_rank

    from responses_ranked
    left join paired_by_name
        on
            responses_ranked.conversation_key = paired_by_name.conversation_key
            and responses_ranked.message_index = paired_by_name.response_message_index
            and responses_ranked.response_index = paired_by_name.response_index
    where paired_by_name.response_index is null

),

paired_by_order as (

    select
        calls_left_over.conversation_key,
        calls_left_over.message_index,
        calls_left_over.call_index,
        responses_left_over.message_index as response_message_index,
        responses_left_over.response_index

    from calls_left_over
    inner join responses_left_over
        on
            calls_left_over.conversation_key = responses_left_over.conversation_key
            and calls_left_over.response_message_index = responses_left_over.message_index
            and calls_left_over.leftover_rank = responses_left_over.leftover_rank

),

pairs as (

    select
        *,
        'name' as paired_by

    from paired_by_name

    union all

    select
        *,
        'order' as paired_by

    from paired_by_order

),

final as (

    select
        calls.conversation_key,
        calls.message_index,
        calls.call_index,
        conversations.load_id,
        calls.tool_name,
        calls.arguments,
        calls.is_valid_json,
        calls.is_malformed,
        calls.is_declared_tool,
        calls.parallel_width,
        pairs.paired_by,
        pairs.response_message_index,
        pairs.response_index,
        responses.tool_call_id,
        responses.tool_name as response_tool_name,
        coalesce(responses.status, 'no_response') as status,
        responses.error_kind

    from calls
    inner join conversations
        on calls.conversation_key = conversations.conversation_key
    left join pairs
        on
            calls.conversation_key = pairs.conversation_key
            and calls.message_index = pairs.message_index
            and calls.call_index = pairs.call_index
    left join responses
        on
            pairs.conversation_key = responses.conversation_key
            and pairs.response_message_index = responses.message_index
            and pairs.response_index = responses.response_index

)

select * from final

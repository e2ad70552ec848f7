{#
  One row per assistant turn: `prompt` is the conversation before the turn rendered as
  ChatML text (`<|im_start|>{role}\n{value}<|im_end|>\n` per message, roles system, user,
  assistant, tool, then `<|im_start|>assistant\n`), `response` is the turn's original value
  with its tags intact. `response_special_tokens` wraps each think block in
  `<|reasoning_start|>`...`<|reasoning_end|>` and each tool-call block in
  `<|tool_call_start|>`...`<|tool_call_end|>` (the tags themselves stay); removing those
  markers gives `response` back.
#}

with

messages as (

    select * from {{ ref('export_messages') }}

),

conversations as (

    select * from {{ ref('export_conversations') }}

),

blocks as (

    select * from {{ ref('int_blocks_parsed') }}

),

prompts as (

    select
        conversation_key,
        message_index,
        message_role,
        message_text,
        weight,
        prompt_chars,
        tool_calls as turn_tool_calls,
        malformed_tool_calls as turn_malformed_tool_calls,
        failed_tool_calls as turn_failed_tool_calls,
        is_representable,
        coalesce({{ tracehouse.export_preceding_text(
            tracehouse.export_chatml_message('role', 'message_text'),
            'conversation_key',
            'message_index'
        ) }}, '') || {{ tracehouse.export_chatml_assistant_header() }} as prompt

    from messages

),

marked as (

    select
        conversation_key,
        message_index,
        {{ tracehouse.export_string_agg(
            "case block_kind
                when 'think' then '<|reasoning_start|>'
                    || case when has_opening_tag then '<think>' else '' end
                    || block_body
                    || case when has_closing_tag then '</think>' else '' end
                    || '<|reasoning_end|>'
                when 'tool_call' then '<|tool_call_start|><tool_call>'
                    || block_body
                    || case when has_closing_tag then '</tool_call>' else '' end
                    || '<|tool_call_end|>'
                else block_body
            end",
            "''",
            'block_index'
        ) }} as response_special_tokens

    from blocks
    where message_role = 'gpt'
    group by conversation_key, message_index

),

final as (

    select
        ---------- keys
        prompts.conversation_key,
        cast(prompts.message_index as integer) as message_index,

        ---------- conversation attributes (the export's filters)
        conversations.conversation_id,
        conversations.config,
        conversations.category,
        conversations.tool_calls,
        conversations.malformed_tool_calls,
        conversations.failed_tool_calls,
        conversations.non_representable_messages,
        conversations.validation_fraction,

        ---------- the turn
        prompts.turn_tool_calls,
        prompts.turn_malformed_tool_calls,
        prompts.turn_failed_tool_calls,
        prompts.is_representable,
        prompts.weight,
        prompts.prompt,
        prompts.message_text as response,
        coalesce(marked.response_special_tokens, prompts.message_text) as response_special_tokens,
        cast(prompts.prompt_chars + length(prompts.message_text) as bigint) as example_chars

    from prompts
    inner join conversations
        on prompts.conversation_key = conversations.conversation_key
    left join marked
        on
            prompts.conversation_key = marked.conversation_key
            and prompts.message_index = marked.message_index
    where prompts.message_role = 'gpt'

)

select * from final

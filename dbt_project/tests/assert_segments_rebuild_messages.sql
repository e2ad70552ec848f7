-- Reconciliation: concatenating every tag segment (tag, then text) in order rebuilds each
-- message byte-exact. Returns the messages that do not.

with

messages as (

    select * from {{ ref('stg_hermes__messages') }}

),

segments as (

    select * from {{ ref('stg_hermes__segments') }}

),

rebuilt as (

    select
        conversation_key,
        message_index,
        {{ tracehouse.string_agg_ordered("coalesce(segment_tag, '') || segment_text", 'segment_index') }}
            as rebuilt_text

    from segments
    group by conversation_key, message_index

)

select
    messages.conversation_key,
    messages.message_index,
    messages.message_chars,
    length(rebuilt.rebuilt_text) as rebuilt_chars

from messages
left join rebuilt
    on
        messages.conversation_key = rebuilt.conversation_key
        and messages.message_index = rebuilt.message_index
where
    messages.message_text is not null
    and (rebuilt.rebuilt_text is null or rebuilt.rebuilt_text != messages.message_text)

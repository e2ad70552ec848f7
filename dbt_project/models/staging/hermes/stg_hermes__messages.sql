{#
  The messages as landed, renamed, with the role the marts use and the text the parse reads.

  A message's role depends on its value only for an Anthropic user message (one of
  tool_result blocks is a tool message), so those messages are imported apart from the
  others: a query for keys and roles without the text (the parse's keys, every model below
  it) then reads no other message's value. At 10x that scan takes 0.5 s instead of 3.5 s,
  the parse 50 s instead of 56 s (bench/README.md). Two imports rather than one referenced
  twice, which DuckDB would materialize, every value in it.
#}

with

anthropic_user_messages as (

    -- row_identity: an integer key of the message for the parse's windows and joins
    select
        *,
        {{ tracehouse.row_identity() }} as source_row

    from {{ source('hermes', 'messages') }}
    where {{ tracehouse.is_anthropic_user('role', 'value_format') }}

),

other_messages as (

    select
        *,
        {{ tracehouse.row_identity() }} as source_row

    from {{ source('hermes', 'messages') }}
    where not coalesce({{ tracehouse.is_anthropic_user('role', 'value_format') }}, false)

),

roles as (

    select
        *,
        case when {{ tracehouse.has_tool_result_block('value') }} then 'tool' else 'human' end as message_role

    from anthropic_user_messages

    union all

    select
        *,
        {{ tracehouse.mart_role('role') }} as message_role

    from other_messages

),

renamed as (

    select
        ---------- keys
        {{ tracehouse.surrogate_key(['source', 'config', 'split', 'row_index']) }} as conversation_key,
        message_index,
        source_row as message_seq,
        conversation_id,
        source,
        config,
        split,
        row_index,

        ---------- attributes
        -- the four roles the marts use; the role as the source gave it
        message_role,
        role as source_role,
        value_format,
        -- the text the parse reads: the value itself, or the Hermes form of a structured
        -- message, computed here on every read (macros/structured_messages.sql)
        {{ tracehouse.hermes_text('value', 'value_format', 'role') }} as message_text

    from roles

)

select * from renamed

with

source as (

    -- row_identity: an integer key of the message for the parse's windows and joins
    select
        *,
        {{ tracehouse.row_identity() }} as source_row

    from {{ source('hermes', 'messages') }}

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
        {{ tracehouse.mart_role('value', 'value_format', 'role') }} as message_role,
        role as source_role,
        value_format,
        -- the text the parse reads: the value itself, or the Hermes form of a structured
        -- message, computed here on every read (macros/structured_messages.sql)
        {{ tracehouse.hermes_text('value', 'value_format', 'role') }} as message_text

    from source

)

select * from renamed

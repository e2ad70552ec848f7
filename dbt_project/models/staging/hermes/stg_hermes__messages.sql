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
        role as message_role,
        value as message_text

    from source

)

select * from renamed

with

source as (

    select * from {{ source('hermes', 'messages') }}

),

renamed as (

    select
        ---------- keys
        {{ tracehouse.surrogate_key(['source', 'config', 'split', 'row_index']) }} as conversation_key,
        message_index,
        conversation_id,
        source,
        config,
        split,
        row_index,

        ---------- attributes
        role as message_role,
        value as message_text,
        length(value) as message_chars

    from source

)

select * from renamed

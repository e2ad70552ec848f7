with

source as (

    select * from {{ source('hermes', 'loads') }}

),

renamed as (

    select
        ---------- keys
        load_id,
        source,
        config,
        split,

        ---------- attributes
        conversations as conversations_loaded,
        messages as messages_loaded,
        message_bytes,
        issues as issues_recorded,

        ---------- timestamps
        started_at,
        finished_at

    from source

)

select * from renamed

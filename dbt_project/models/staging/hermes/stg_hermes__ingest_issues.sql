with

source as (

    select * from {{ source('hermes', 'ingest_issues') }}

),

renamed as (

    select
        ---------- keys
        load_id,
        case
            when row_index is not null
                then {{ tracehouse.surrogate_key(['source', 'config', 'split', 'row_index']) }}
        end as conversation_key,
        source,
        config,
        split,
        row_index,
        conversation_id,
        message_index,

        ---------- attributes
        field as issue_field,
        issue as issue_name,
        detail as issue_detail

    from source

)

select * from renamed

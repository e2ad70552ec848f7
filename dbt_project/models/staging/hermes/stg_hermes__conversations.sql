with

source as (

    select * from {{ source('hermes', 'conversations') }}

),

renamed as (

    select
        ---------- keys
        {{ tracehouse.surrogate_key(['source', 'config', 'split', 'row_index']) }} as conversation_key,
        conversation_id,
        source,
        config,
        split,
        row_index,

        ---------- attributes
        trace_format,
        category,
        subcategory,
        task,
        tools as tools_json,
        extra_columns as extra_columns_json,
        message_count,
        is_duplicate_id,

        ---------- lineage
        load_id,
        loaded_at

    from source

)

select * from renamed

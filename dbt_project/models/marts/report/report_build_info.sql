{#
  What the warehouse holds and when it was built: one row per loaded slice (the latest load
  of each source, config and split), stamped with the time of this dbt invocation.
#}

with

loads as (

    select * from {{ ref('stg_hermes__loads') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by source, config, split
            order by finished_at desc, load_id desc
        ) as load_rank

    from loads

),

final as (

    select
        ---------- keys
        load_id,
        source,
        config,
        split,

        ---------- attributes
        conversations_loaded,
        messages_loaded,

        ---------- timestamps
        cast(finished_at as timestamp) as loaded_at,
        cast(current_timestamp as timestamp) as built_at,
        cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as dbt_invocation_id

    from latest
    where load_rank = 1

)

select * from final

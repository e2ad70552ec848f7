{#
  The gaps table: tools called although the calling conversation does not declare them, and
  tools declared in a config that none of its conversations calls (tool_declaration_gaps),
  with gap_rank ordering each config's rows of a kind by calls, then declarations.
#}

with

tool_declaration_gaps as (

    select * from {{ ref('tool_declaration_gaps') }}

),

final as (

    select
        config,
        gap_kind,
        tool_name,
        cast(row_number() over (
            partition by config, gap_kind
            order by calls desc, declaring_conversations desc, tool_name asc
        ) as integer) as gap_rank,
        calls,
        calling_conversations,
        declaring_conversations

    from tool_declaration_gaps

)

select * from final

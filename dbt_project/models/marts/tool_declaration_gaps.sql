{#
  Tools declared but never called, and tools called but not declared, per config.
  - declared_never_called: declared in the `tools` of at least one conversation of the config,
    and called by no conversation of the config.
  - called_undeclared: called (a well-formed call with a name) in a conversation whose `tools`
    does not declare it; counts are of those calls only.
#}

with

conversations as (

    select * from {{ ref('stg_hermes__conversations') }}

),

tools_declared as (

    select * from {{ ref('int_tools_declared') }}

),

tool_calls as (

    select * from {{ ref('int_tool_calls_paired') }}

),

declared as (

    select
        conversations.config,
        tools_declared.tool_name,
        count(distinct tools_declared.conversation_key) as declaring_conversations

    from tools_declared
    inner join conversations
        on tools_declared.conversation_key = conversations.conversation_key
    where tools_declared.tool_name is not null
    group by conversations.config, tools_declared.tool_name

),

called as (

    select
        conversations.config,
        tool_calls.tool_name,
        count(*) as calls,
        count(distinct tool_calls.conversation_key) as calling_conversations,
        sum(case when not tool_calls.is_malformed and not tool_calls.is_declared_tool then 1 else 0 end)
            as undeclared_calls,
        count(distinct case
            when not tool_calls.is_malformed and not tool_calls.is_declared_tool
                then tool_calls.conversation_key
        end) as undeclared_calling_conversations

    from tool_calls
    inner join conversations
        on tool_calls.conversation_key = conversations.conversation_key
    where tool_calls.tool_name is not null
    group by conversations.config, tool_calls.tool_name

),

declared_never_called as (

    select
        declared.config,
        declared.tool_name,
        'declared_never_called' as gap_kind,
        declared.declaring_conversations,
        0 as calls,
        0 as calling_conversations

    from declared
    left join called
        on
            declared.config = called.config
            and declared.tool_name = called.tool_name
    where called.tool_name is null

),

called_undeclared as (

    select
        called.config,
        called.tool_name,
        'called_undeclared' as gap_kind,
        coalesce(declared.declaring_conversations, 0) as declaring_conversations,
        called.undeclared_calls as calls,
        called.undeclared_calling_conversations as calling_conversations

    from called
    left join declared
        on
            called.config = declared.config
            and called.tool_name = declared.tool_name
    where called.undeclared_calls > 0

),

gaps as (

    select * from declared_never_called
    union all
    select * from called_undeclared

),

final as (

    select
        cast(config as {{ dbt.type_string() }}) as config,
        cast(tool_name as {{ dbt.type_string() }}) as tool_name,
        cast(gap_kind as {{ dbt.type_string() }}) as gap_kind,
        cast(declaring_conversations as bigint) as declaring_conversations,
        cast(calls as bigint) as calls,
        cast(calling_conversations as bigint) as calling_conversations

    from gaps

)

select * from final

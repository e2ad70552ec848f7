{#
  The page's headline figures: one row per config, and one over every config
  (is_all_configs), from fct_conversations. The header and the configs table read it as is.
#}

with

conversations as (

    select * from {{ ref('fct_conversations') }}

),

config_sources as (

    select distinct
        config,
        source

    from conversations

),

all_sources as (

    select distinct source

    from conversations

),

sources as (

    select
        config,
        false as is_all_configs,
        {{ dbt.listagg('source', "', '", 'order by source') }} as sources

    from config_sources
    group by config

    union all

    select
        '(all)' as config,
        true as is_all_configs,
        {{ dbt.listagg('source', "', '", 'order by source') }} as sources

    from all_sources

),

per_config as (

    select
        config,
        false as is_all_configs,
        count(*) as conversations,
        sum(messages) as messages,
        sum(assistant_turns) as assistant_turns,
        sum(tool_calls) as tool_calls,
        sum(failed_tool_calls) as failed_tool_calls,
        sum(think_words) as think_words,
        sum(case when outcome = 'answered' then 1 else 0 end) as answered

    from conversations
    group by config

),

every_config as (

    select
        '(all)' as config,
        true as is_all_configs,
        count(*) as conversations,
        sum(messages) as messages,
        sum(assistant_turns) as assistant_turns,
        sum(tool_calls) as tool_calls,
        sum(failed_tool_calls) as failed_tool_calls,
        sum(think_words) as think_words,
        sum(case when outcome = 'answered' then 1 else 0 end) as answered

    from conversations

),

counted as (

    select * from per_config
    union all
    select * from every_config

),

final as (

    select
        cast(counted.config as {{ dbt.type_string() }}) as config,
        cast(counted.is_all_configs as boolean) as is_all_configs,
        cast(sources.sources as {{ dbt.type_string() }}) as sources,
        cast(counted.conversations as bigint) as conversations,
        cast(coalesce(counted.messages, 0) as bigint) as messages,
        cast(coalesce(counted.assistant_turns, 0) as bigint) as assistant_turns,
        cast(coalesce(counted.tool_calls, 0) as bigint) as tool_calls,
        cast(coalesce(counted.failed_tool_calls, 0) as bigint) as failed_tool_calls,
        cast(coalesce(counted.think_words, 0) as bigint) as think_words,
        cast(counted.messages * 1.0 / nullif(counted.conversations, 0) as double) as avg_messages,
        cast(counted.tool_calls * 1.0 / nullif(counted.conversations, 0) as double) as avg_tool_calls,
        cast(
            counted.think_words * 1.0 / nullif(counted.assistant_turns, 0) as double
        ) as avg_think_words_per_turn,
        cast(counted.answered * 1.0 / nullif(counted.conversations, 0) as double) as answered_rate

    from counted
    left join sources
        on
            counted.config = sources.config
            and counted.is_all_configs = sources.is_all_configs

)

select * from final

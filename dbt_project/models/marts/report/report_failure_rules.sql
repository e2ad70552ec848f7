{#
  The strict failure rules beside the tutorial's substring rule, per tool message (the unit
  the tutorial counts): how many messages each flags, and where they disagree, per config
  and over every config (is_all_configs). A message fails under the strict rules when any
  of its responses has status `error`, under the substring rule when its first response is
  flagged (legacy_error).
#}

with

tool_responses as (

    select * from {{ ref('fct_tool_responses') }}

),

tool_messages as (

    select
        config,
        conversation_key,
        message_index,
        max(case when status = 'error' then 1 else 0 end) as strict_error,
        max(case when legacy_error then 1 else 0 end) as legacy_error

    from tool_responses
    group by config, conversation_key, message_index

),

per_config as (

    select
        config,
        false as is_all_configs,
        count(*) as tool_messages,
        sum(strict_error) as strict_messages,
        sum(legacy_error) as legacy_messages,
        sum(case when legacy_error = 1 and strict_error = 0 then 1 else 0 end) as legacy_only,
        sum(case when strict_error = 1 and legacy_error = 0 then 1 else 0 end) as strict_only

    from tool_messages
    group by config

),

every_config as (

    select
        '(all)' as config,
        true as is_all_configs,
        count(*) as tool_messages,
        sum(strict_error) as strict_messages,
        sum(legacy_error) as legacy_messages,
        sum(case when legacy_error = 1 and strict_error = 0 then 1 else 0 end) as legacy_only,
        sum(case when strict_error = 1 and legacy_error = 0 then 1 else 0 end) as strict_only

    from tool_messages

),

counted as (

    select * from per_config
    union all
    select * from every_config

),

final as (

    select
        cast(config as {{ dbt.type_string() }}) as config,
        cast(is_all_configs as boolean) as is_all_configs,
        cast(tool_messages as bigint) as tool_messages,
        cast(coalesce(strict_messages, 0) as bigint) as strict_messages,
        cast(coalesce(legacy_messages, 0) as bigint) as legacy_messages,
        cast(coalesce(legacy_only, 0) as bigint) as legacy_only,
        cast(coalesce(strict_only, 0) as bigint) as strict_only,
        cast(strict_messages * 1.0 / nullif(tool_messages, 0) as double) as strict_rate,
        cast(legacy_messages * 1.0 / nullif(tool_messages, 0) as double) as legacy_rate

    from counted

)

select * from final

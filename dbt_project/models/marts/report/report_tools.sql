{#
  "Which tools fail most?": calls, failures and calls without a response per tool, for each
  config and over every config (is_all_configs), ranked by calls (call_rank, 1 = the most
  called). Feeds the top-tools chart, its finding and the tools table. Sums of
  tool_usage_by_category over categories; calls without a usable name are '(unnamed)'.
#}

with

tool_usage as (

    select * from {{ ref('tool_usage_by_category') }}

),

per_config as (

    select
        config,
        false as is_all_configs,
        tool_name,
        sum(calls) as calls,
        sum(failed_calls) as failed_calls,
        sum(no_response_calls) as no_response_calls

    from tool_usage
    group by config, tool_name

),

every_config as (

    select
        '(all)' as config,
        true as is_all_configs,
        tool_name,
        sum(calls) as calls,
        sum(failed_calls) as failed_calls,
        sum(no_response_calls) as no_response_calls

    from tool_usage
    group by tool_name

),

tools as (

    select * from per_config
    union all
    select * from every_config

),

final as (

    select
        cast(config as {{ dbt.type_string() }}) as config,
        cast(is_all_configs as boolean) as is_all_configs,
        cast(tool_name as {{ dbt.type_string() }}) as tool_name,
        cast(row_number() over (
            partition by config, is_all_configs
            order by calls desc, tool_name asc
        ) as integer) as call_rank,
        cast(calls as bigint) as calls,
        cast(failed_calls as bigint) as failed_calls,
        cast(no_response_calls as bigint) as no_response_calls,
        cast(failed_calls * 1.0 / calls as double) as error_rate

    from tools

)

select * from final

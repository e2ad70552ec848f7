{#
  "How does tool usage grow with conversation length?": the scatter's points (conversations
  per config, length and tool calls) and, on every row of a config, its least-squares trend
  and correlation (tool_usage_length_correlation, every category together). The intercept
  follows from the means: the fitted line goes through (avg messages, avg tool calls). A
  trend that cannot be fitted (every conversation of the same length) is null, not NaN.
#}

with

conversations as (

    select * from {{ ref('fct_conversations') }}

),

correlation as (

    select * from {{ ref('tool_usage_length_correlation') }}

),

points as (

    select
        config,
        messages,
        tool_calls,
        count(*) as conversations

    from conversations
    group by config, messages, tool_calls

),

trends as (

    select
        config,
        conversations as config_conversations,
        nullif(tool_calls_per_message, cast('NaN' as double)) as slope,
        avg_messages,
        avg_tool_calls,
        correlation

    from correlation
    where category = '(all)'

),

final as (

    select
        cast(points.config as {{ dbt.type_string() }}) as config,
        cast(points.messages as bigint) as messages,
        cast(points.tool_calls as bigint) as tool_calls,
        cast(points.conversations as bigint) as conversations,
        cast(trends.config_conversations as bigint) as config_conversations,
        cast(trends.slope as double) as trend_slope,
        cast(trends.avg_tool_calls - trends.slope * trends.avg_messages as double) as trend_intercept,
        cast(trends.correlation as double) as trend_correlation

    from points
    inner join trends
        on points.config = trends.config

)

select * from final

-- Which tools fail most often, per config? Strict failures (failure_rules) among calls that
-- got a response, with the most common error_kind, for tools called at least 20 times.
-- `dbt compile` renders this into target/compiled/.../analyses/, ready for `tracehouse sql`.

with

tool_calls as (

    select * from {{ ref('fct_tool_calls') }}

),

per_tool as (

    select
        config,
        coalesce(tool_name, '(unnamed)') as tool_name,
        count(*) as calls,
        sum(case when status != 'no_response' then 1 else 0 end) as answered_calls,
        sum(case when status = 'error' then 1 else 0 end) as failed_calls,
        mode(error_kind) as most_common_error_kind

    from tool_calls
    group by 1, 2

),

final as (

    select
        config,
        tool_name,
        calls,
        failed_calls,
        round(failed_calls * 100.0 / nullif(answered_calls, 0), 1) as error_rate_pct,
        most_common_error_kind

    from per_tool
    where calls >= 20
    order by error_rate_pct desc, calls desc

)

select * from final

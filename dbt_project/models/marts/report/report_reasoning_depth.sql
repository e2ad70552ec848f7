{#
  "Which categories produce longer reasoning chains?": the spread of think words over the
  turns that reason (think_words > 0), per config and category, for the box plot
  (whiskers p10 and p90, box p25 to p75, median, mean). reasoning_depth_by_category has
  quantiles over every turn, where the many turns without reasoning pull them to 0.
#}

with

assistant_turns as (

    select * from {{ ref('fct_assistant_turns') }}

),

reasoning_turns as (

    select
        config,
        coalesce(category, '(none)') as category,
        think_words

    from assistant_turns
    where think_words > 0

),

aggregated as (

    select
        config,
        category,
        count(*) as reasoning_turns,
        avg(think_words) as mean_think_words,
        {{ tracehouse.quantile('think_words', 0.1) }} as p10_think_words,
        {{ tracehouse.quantile('think_words', 0.25) }} as p25_think_words,
        {{ tracehouse.quantile('think_words', 0.5) }} as median_think_words,
        {{ tracehouse.quantile('think_words', 0.75) }} as p75_think_words,
        {{ tracehouse.quantile('think_words', 0.9) }} as p90_think_words

    from reasoning_turns
    group by config, category

),

final as (

    select
        cast(config as {{ dbt.type_string() }}) as config,
        cast(category as {{ dbt.type_string() }}) as category,
        cast(reasoning_turns as bigint) as reasoning_turns,
        cast(mean_think_words as double) as mean_think_words,
        cast(p10_think_words as double) as p10_think_words,
        cast(p25_think_words as double) as p25_think_words,
        cast(median_think_words as double) as median_think_words,
        cast(p75_think_words as double) as p75_think_words,
        cast(p90_think_words as double) as p90_think_words

    from aggregated

)

select * from final

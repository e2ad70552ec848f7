-- The dataset card publishes an "avg think depth" of 414 words (kimi) and 70 (glm-5.1)
-- without naming the unit. Three candidate units side by side, per config.

with

reasoning as (

    select * from {{ ref('reasoning_depth_by_category') }}

),

final as (

    select
        config,
        case config when 'kimi' then 414 when 'glm-5.1' then 70 end as card_think_depth,
        round(avg_think_words_per_turn, 1) as words_per_assistant_turn,
        round(avg_think_words_per_reasoning_turn, 1) as words_per_reasoning_turn,
        round(avg_think_words_per_conversation, 1) as words_per_conversation,
        median_think_words_per_turn

    from reasoning
    where category = '(all)' and subcategory = '(all)'
    order by config

)

select * from final

{#
  Reasoning depth per config, category and subcategory, with roll-up rows ('(all)'):
  think words (Python `len(text.split())` of the text inside think tags, summed over a turn's
  think blocks) per assistant turn, per reasoning turn (think_words > 0) and per conversation,
  with quantiles. The dataset card's "avg think depth" (414 kimi, 70 glm-5.1) does not say
  which unit it uses; compare it with avg_think_words_per_turn and
  avg_think_words_per_reasoning_turn.
#}

with

assistant_turns as (

    select * from {{ ref('fct_assistant_turns') }}

),

conversations as (

    select * from {{ ref('fct_conversations') }}

),

turns_labelled as (

    select
        config,
        coalesce(category, '(none)') as category,
        coalesce(subcategory, '(none)') as subcategory,
        think_words,
        think_chars

    from assistant_turns

),

conversations_labelled as (

    select
        config,
        coalesce(category, '(none)') as category,
        coalesce(subcategory, '(none)') as subcategory,
        think_words,
        assistant_turns

    from conversations

),

per_turn as (

    select
        config,
        case when grouping(category) = 1 then '(all)' else category end as category,
        case when grouping(subcategory) = 1 then '(all)' else subcategory end as subcategory,
        count(*) as assistant_turns,
        sum(case when think_words > 0 then 1 else 0 end) as reasoning_turns,
        sum(think_words) as think_words,
        avg(think_words) as avg_think_words_per_turn,
        avg(case when think_words > 0 then think_words end) as avg_think_words_per_reasoning_turn,
        avg(think_chars) as avg_think_chars_per_turn,
        {{ tracehouse.quantile('think_words', 0.25) }} as p25_think_words_per_turn,
        {{ tracehouse.quantile('think_words', 0.5) }} as median_think_words_per_turn,
        {{ tracehouse.quantile('think_words', 0.75) }} as p75_think_words_per_turn,
        {{ tracehouse.quantile('think_words', 0.9) }} as p90_think_words_per_turn,
        max(think_words) as max_think_words_per_turn

    from turns_labelled
    group by config, rollup(category, subcategory)

),

per_conversation as (

    select
        config,
        case when grouping(category) = 1 then '(all)' else category end as category,
        case when grouping(subcategory) = 1 then '(all)' else subcategory end as subcategory,
        count(*) as conversations,
        avg(think_words) as avg_think_words_per_conversation,
        {{ tracehouse.quantile('think_words', 0.5) }} as median_think_words_per_conversation,
        {{ tracehouse.quantile('think_words', 0.9) }} as p90_think_words_per_conversation

    from conversations_labelled
    group by config, rollup(category, subcategory)

),

final as (

    select
        cast(per_conversation.config as {{ dbt.type_string() }}) as config,
        cast(per_conversation.category as {{ dbt.type_string() }}) as category,
        cast(per_conversation.subcategory as {{ dbt.type_string() }}) as subcategory,
        cast(per_conversation.conversations as bigint) as conversations,
        cast(coalesce(per_turn.assistant_turns, 0) as bigint) as assistant_turns,
        cast(coalesce(per_turn.reasoning_turns, 0) as bigint) as reasoning_turns,
        cast(coalesce(per_turn.think_words, 0) as bigint) as think_words,
        cast(per_turn.avg_think_words_per_turn as double) as avg_think_words_per_turn,
        cast(per_turn.avg_think_words_per_reasoning_turn as double) as avg_think_words_per_reasoning_turn,
        cast(per_conversation.avg_think_words_per_conversation as double) as avg_think_words_per_conversation,
        cast(per_turn.avg_think_chars_per_turn as double) as avg_think_chars_per_turn,
        cast(per_turn.p25_think_words_per_turn as double) as p25_think_words_per_turn,
        cast(per_turn.median_think_words_per_turn as double) as median_think_words_per_turn,
        cast(per_turn.p75_think_words_per_turn as double) as p75_think_words_per_turn,
        cast(per_turn.p90_think_words_per_turn as double) as p90_think_words_per_turn,
        cast(per_turn.max_think_words_per_turn as bigint) as max_think_words_per_turn,
        cast(per_conversation.median_think_words_per_conversation as double) as median_think_words_per_conversation,
        cast(per_conversation.p90_think_words_per_conversation as double) as p90_think_words_per_conversation

    from per_conversation
    left join per_turn
        on
            per_conversation.config = per_turn.config
            and per_conversation.category = per_turn.category
            and per_conversation.subcategory = per_turn.subcategory

)

select * from final

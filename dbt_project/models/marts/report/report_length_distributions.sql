{#
  How long thinking, tool calls and answers are, per config, as histograms on a log scale:
  items per quarter-decade bin (length_bin b holds lengths from 10^(b/4) up to
  10^((b+1)/4) characters), with the median and count of each kind.
  - think: the think characters of a turn that has any;
  - tool call: the body of a `<tool_call>` (its JSON: name and arguments). It comes from
    int_tool_calls_paired's body_length: fct_tool_calls has no length, and measuring its
    `arguments` would cut every call's text from the messages;
  - answer: the visible text of a turn that calls no tool.
#}

with

conversations as (

    select * from {{ ref('fct_conversations') }}

),

assistant_turns as (

    select * from {{ ref('fct_assistant_turns') }}

),

tool_calls as (

    select * from {{ ref('int_tool_calls_paired') }}

),

lengths as (

    select
        config,
        'think' as length_kind,
        think_chars as chars

    from assistant_turns
    where think_chars > 0

    union all

    select
        conversations.config,
        'tool call' as length_kind,
        tool_calls.body_length as chars

    from tool_calls
    inner join conversations
        on tool_calls.conversation_key = conversations.conversation_key
    where tool_calls.body_length > 0

    union all

    select
        config,
        'answer' as length_kind,
        visible_text_chars as chars

    from assistant_turns
    where
        tool_calls = 0
        and has_visible_text
        and visible_text_chars > 0

),

binned as (

    select
        config,
        length_kind,
        cast(floor(log10(chars) * 4) as integer) as length_bin,
        count(*) as items

    from lengths
    group by config, length_kind, cast(floor(log10(chars) * 4) as integer)

),

summaries as (

    select
        config,
        length_kind,
        count(*) as kind_items,
        {{ tracehouse.quantile('chars', 0.5) }} as median_chars

    from lengths
    group by config, length_kind

),

final as (

    select
        cast(binned.config as {{ dbt.type_string() }}) as config,
        cast(binned.length_kind as {{ dbt.type_string() }}) as length_kind,
        cast(binned.length_bin as integer) as length_bin,
        cast(binned.items as bigint) as items,
        cast(summaries.kind_items as bigint) as kind_items,
        cast(summaries.median_chars as double) as median_chars

    from binned
    inner join summaries
        on
            binned.config = summaries.config
            and binned.length_kind = summaries.length_kind

)

select * from final

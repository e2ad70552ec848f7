-- Reconciliation: every row of raw.messages appears in stg_hermes__messages (keys; the
-- view only renames, and assert_blocks_rebuild_messages checks the text), as many rows as
-- raw holds, and every raw conversation appears in fct_conversations. Returns what is missing.
-- The anti-join tests a join key for null: testing conversation_key made the view compute
-- its md5 for every message (measured in bench/README.md).

with

raw_messages as (

    select * from {{ source('hermes', 'messages') }}

),

raw_conversations as (

    select * from {{ source('hermes', 'conversations') }}

),

staged_messages as (

    select * from {{ ref('stg_hermes__messages') }}

),

conversations as (

    select * from {{ ref('fct_conversations') }}

),

missing_messages as (

    select
        'message' as missing,
        raw_messages.source,
        raw_messages.config,
        raw_messages.split,
        raw_messages.row_index,
        raw_messages.message_index

    from raw_messages
    left join staged_messages
        on
            raw_messages.source = staged_messages.source
            and raw_messages.config = staged_messages.config
            and raw_messages.split = staged_messages.split
            and raw_messages.row_index = staged_messages.row_index
            and raw_messages.message_index = staged_messages.message_index
    where staged_messages.message_index is null

),

missing_conversations as (

    select
        'conversation' as missing,
        raw_conversations.source,
        raw_conversations.config,
        raw_conversations.split,
        raw_conversations.row_index,
        null as message_index

    from raw_conversations
    left join conversations
        on
            raw_conversations.source = conversations.source
            and raw_conversations.config = conversations.config
            and raw_conversations.split = conversations.split
            and raw_conversations.row_index = conversations.row_index
    where conversations.conversation_key is null

),

count_mismatch as (

    select
        'message_count' as missing,
        null as source,
        null as config,
        null as split,
        null as row_index,
        null as message_index

    from (select count(*) as n from raw_messages) as raw_count
    cross join (select count(*) as n from staged_messages) as staged_count
    where raw_count.n != staged_count.n

)

select * from missing_messages
union all
select * from missing_conversations
union all
select * from count_mismatch

"""The raw layer's tables: the contract between `tracehouse ingest` and the dbt sources.

Nothing is parsed here. Keys: a conversation is one row of one slice
(source, config, split) at `row_index`; `conversation_id` is the `id` as given and may repeat.
"""

RAW_SCHEMA = "raw"

DDL: tuple[str, ...] = (
    f"create schema if not exists {RAW_SCHEMA}",
    f"""
    create table if not exists {RAW_SCHEMA}.conversations (
        source varchar not null,
        config varchar not null,
        split varchar not null,
        row_index bigint not null,
        conversation_id varchar,
        category varchar,
        subcategory varchar,
        task varchar,
        tools varchar,
        message_count integer not null,
        is_duplicate_id boolean not null,
        extra_columns varchar,
        load_id varchar not null,
        loaded_at timestamp not null
    )
    """,
    f"""
    create table if not exists {RAW_SCHEMA}.messages (
        source varchar not null,
        config varchar not null,
        split varchar not null,
        row_index bigint not null,
        conversation_id varchar,
        message_index integer not null,
        role varchar,
        value varchar
    )
    """,
    f"""
    create table if not exists {RAW_SCHEMA}.ingest_issues (
        load_id varchar not null,
        source varchar not null,
        config varchar not null,
        split varchar not null,
        row_index bigint,
        conversation_id varchar,
        message_index integer,
        field varchar not null,
        issue varchar not null,
        detail varchar
    )
    """,
    f"""
    create table if not exists {RAW_SCHEMA}.loads (
        load_id varchar not null,
        source varchar not null,
        config varchar not null,
        split varchar not null,
        started_at timestamp not null,
        finished_at timestamp not null,
        conversations bigint not null,
        messages bigint not null,
        message_bytes bigint not null,
        issues bigint not null
    )
    """,
)

CONVERSATION_COLUMNS: tuple[str, ...] = (
    "source",
    "config",
    "split",
    "row_index",
    "conversation_id",
    "category",
    "subcategory",
    "task",
    "tools",
    "message_count",
    "is_duplicate_id",
    "extra_columns",
    "load_id",
    "loaded_at",
)

MESSAGE_COLUMNS: tuple[str, ...] = (
    "source",
    "config",
    "split",
    "row_index",
    "conversation_id",
    "message_index",
    "role",
    "value",
)

ISSUE_COLUMNS: tuple[str, ...] = (
    "load_id",
    "source",
    "config",
    "split",
    "row_index",
    "conversation_id",
    "message_index",
    "field",
    "issue",
    "detail",
)

LOAD_COLUMNS: tuple[str, ...] = (
    "load_id",
    "source",
    "config",
    "split",
    "started_at",
    "finished_at",
    "conversations",
    "messages",
    "message_bytes",
    "issues",
)

TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "conversations": CONVERSATION_COLUMNS,
    "messages": MESSAGE_COLUMNS,
    "ingest_issues": ISSUE_COLUMNS,
    "loads": LOAD_COLUMNS,
}
